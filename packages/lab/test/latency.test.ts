// Quantiles and CDFs for the report, from LogHistogram buckets and from Prometheus buckets.

import { LogHistogram } from '@vnflab/core';
import { latencyFromBuckets, latencyFromCumulative } from '@vnflab/lab';

test('from LogHistogram buckets: quantiles at bucket resolution, a CDF ending at 1', () => {
  const h = new LogHistogram();
  for (let i = 1; i <= 1000; i++) h.record(i * 1000); // 1 us .. 1 ms
  const l = latencyFromBuckets(h.counts, h.sum);
  expect(l.count).toBe(1000);
  expect(l.p50).toBeGreaterThan(0.5e-3 * 0.9);
  expect(l.p50).toBeLessThan(0.5e-3 * 1.1);
  expect(l.p99).toBeGreaterThan(l.p90);
  expect(l.mean).toBeCloseTo(500.5e-6, 9);
  expect(l.cdf[l.cdf.length - 1][1]).toBe(1);
  for (let i = 1; i < l.cdf.length; i++) {
    expect(l.cdf[i][0]).toBeGreaterThan(l.cdf[i - 1][0]);
    expect(l.cdf[i][1]).toBeGreaterThan(l.cdf[i - 1][1]);
  }
  expect(latencyFromBuckets(new Float64Array(10), 0)).toMatchObject({ count: 0, cdf: [] });
});

test('from Prometheus le buckets: interpolated like histogram_quantile', () => {
  const l = latencyFromCumulative(
    [
      [Infinity, 100],
      [0.001, 50],
      [0.002, 100],
      [0.0005, 0],
    ],
    0.12,
  );
  expect(l.count).toBe(100);
  expect(l.p50).toBeCloseTo(0.001, 9);
  expect(l.p90).toBeCloseTo(0.0018, 9);
  expect(l.max).toBe(0.002);
  expect(l.cdf).toEqual([
    [0.0005, 0],
    [0.001, 0.5],
    [0.002, 1],
  ]);
});
