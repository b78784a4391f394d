// The Prometheus latency buckets keep histogram_quantile within 10 % of the exact quantiles: a
// known (lognormal) distribution is recorded as a stage records latency, exposed as the
// vnflab_e2e_latency_seconds buckets, and its quantiles computed the way Prometheus computes them,
// then compared with what /stats reports (LogHistogram.quantile) and with the samples themselves.

import { LATENCY_BUCKETS_S, LogHistogram, histogramSamples } from '@vnflab/core';

/** The 1-2-5 buckets the lab used before, to show the test can fail. */
const OLD_BUCKETS_S = [
  1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1, 2, 5, 10,
];

/**
 * histogram_quantile as Prometheus computes it (promql/quantile.go, bucketQuantile): find the
 * bucket holding rank q * count, interpolate linearly between its lower and upper bound; a rank
 * in the +Inf bucket answers the highest finite bound.
 */
function histogramQuantile(q: number, buckets: { le: number; count: number }[]): number {
  const b = [...buckets].sort((x, y) => x.le - y.le);
  const total = b[b.length - 1].count;
  let rank = q * total;
  const i = b.findIndex((x) => x.count >= rank);
  if (i === b.length - 1) return b[b.length - 2].le;
  let start = 0;
  let count = b[i].count;
  if (i > 0) {
    start = b[i - 1].le;
    count -= b[i - 1].count;
    rank -= b[i - 1].count;
  }
  return start + (b[i].le - start) * (rank / count);
}

/** The `_bucket` samples as Prometheus would scrape them (seconds; +Inf as Infinity). */
function scrapedBuckets(h: LogHistogram, bounds: readonly number[]): { le: number; count: number }[] {
  return histogramSamples('vnflab_e2e_latency_seconds', h, { chain: 'c', variant: 'v' }, bounds, 1e9)
    .filter((s) => s.metricName === 'vnflab_e2e_latency_seconds_bucket')
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value }));
}

/** Lognormal samples in ns from a seeded generator (mulberry32 and Box-Muller). */
function lognormal(n: number, medianNs: number, sigma: number, seed: number): number[] {
  let a = seed >>> 0;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    out.push(Math.round(medianNs * Math.exp(sigma * z)));
  }
  return out;
}

const QUANTILES = [0.5, 0.9, 0.99, 0.999];
const CASES = [
  { what: 'end-to-end, median 2 ms', medianNs: 2e6, sigma: 1 },
  { what: 'a stage, median 40 us', medianNs: 4e4, sigma: 0.6 },
  { what: 'a slow chain, median 300 ms', medianNs: 3e8, sigma: 0.4 },
];

/** Worst relative error of histogram_quantile against /stats and against the samples. */
function worstError(bounds: readonly number[], medianNs: number, sigma: number): { stats: number; exact: number } {
  const samples = lognormal(100000, medianNs, sigma, 42);
  const h = new LogHistogram();
  for (const v of samples) h.record(v);
  const sorted = [...samples].sort((x, y) => x - y);
  const buckets = scrapedBuckets(h, bounds);
  let stats = 0;
  let exact = 0;
  for (const q of QUANTILES) {
    const prom = histogramQuantile(q, buckets) * 1e9;
    stats = Math.max(stats, Math.abs(prom / h.quantile(q) - 1));
    exact = Math.max(exact, Math.abs(prom / sorted[Math.ceil(q * sorted.length) - 1] - 1));
  }
  return { stats, exact };
}

describe('latency buckets', () => {
  test('ten log-spaced bounds per decade from 1 us to 10 s, increasing', () => {
    expect(LATENCY_BUCKETS_S[0]).toBe(1e-6);
    expect(LATENCY_BUCKETS_S[LATENCY_BUCKETS_S.length - 1]).toBe(10);
    expect(LATENCY_BUCKETS_S).toHaveLength(71);
    for (let i = 1; i < LATENCY_BUCKETS_S.length; i++) {
      const ratio = LATENCY_BUCKETS_S[i] / LATENCY_BUCKETS_S[i - 1];
      expect(ratio).toBeGreaterThan(1.2);
      expect(ratio).toBeLessThan(1.3);
    }
  });

  test.each(CASES)('$what: histogram_quantile p50..p99.9 within 10 % of /stats and of the samples', (c) => {
    const err = worstError(LATENCY_BUCKETS_S, c.medianNs, c.sigma);
    expect(err.stats).toBeLessThan(0.1);
    expect(err.exact).toBeLessThan(0.1);
  });

  test('the 1-2-5 buckets did not hold 10 % (so the check above can fail)', () => {
    const worst = Math.max(...CASES.map((c) => worstError(OLD_BUCKETS_S, c.medianNs, c.sigma).exact));
    expect(worst).toBeGreaterThan(0.1);
  });
});
