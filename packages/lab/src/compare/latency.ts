// Latency distributions as the report wants them — quantiles and a CDF — from either a window
// of LogHistogram bucket counts (embedded) or Prometheus's cumulative `le` buckets (compose).

import { LogHistogram } from '@vnflab/core';
import type { LatencySummary } from './model';

const EMPTY: LatencySummary = { p50: 0, p90: 0, p99: 0, max: 0, mean: 0, count: 0, cdf: [] };

/** From per-bucket counts (nanoseconds, LogHistogram layout) recorded in a window. */
export function latencyFromBuckets(counts: ArrayLike<number>, sumNs: number): LatencySummary {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total <= 0) return EMPTY;
  const cdf: [number, number][] = [];
  const q = (p: number): number => {
    const target = Math.max(1, Math.ceil(p * total));
    let acc = 0;
    for (let i = 0; i < counts.length; i++) {
      acc += counts[i];
      if (acc >= target) return LogHistogram.upperOf(i) / 1e9;
    }
    return 0;
  };
  let acc = 0;
  let max = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] <= 0) continue;
    acc += counts[i];
    max = LogHistogram.upperOf(i) / 1e9;
    cdf.push([max, acc / total]);
  }
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max, mean: sumNs / total / 1e9, count: total, cdf };
}

/** From Prometheus buckets: [upper bound seconds (Infinity for +Inf), cumulative count], any order. */
export function latencyFromCumulative(buckets: [number, number][], sumS: number): LatencySummary {
  const b = [...buckets].sort((x, y) => x[0] - y[0]);
  const total = b.length ? b[b.length - 1][1] : 0;
  if (total <= 0) return EMPTY;
  const finite = b.filter(([le]) => Number.isFinite(le));
  // linear interpolation inside the bucket, as histogram_quantile does
  const q = (p: number): number => {
    const rank = p * total;
    let prevLe = 0;
    let prevC = 0;
    for (const [le, c] of finite) {
      if (c >= rank) return c === prevC ? le : prevLe + ((le - prevLe) * (rank - prevC)) / (c - prevC);
      prevLe = le;
      prevC = c;
    }
    return finite.length ? finite[finite.length - 1][0] : 0;
  };
  const cdf: [number, number][] = [];
  let last = -1;
  for (const [le, c] of finite) {
    if (c > last) cdf.push([le, c / total]);
    last = c;
  }
  const highest = finite.find(([, c]) => c >= total);
  return {
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: highest ? highest[0] : (finite[finite.length - 1]?.[0] ?? 0),
    mean: sumS / total,
    count: total,
    cdf,
  };
}
