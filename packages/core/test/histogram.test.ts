import { LogHistogram } from '@vnflab/core';

describe('LogHistogram', () => {
  test('every value lands in a bucket whose bounds contain it (fast and slow paths agree)', () => {
    for (const v of [0, 1, 15, 16, 17, 31, 32, 100, 1023, 1024, 65535, 1e6, 123456789, 2 ** 32 - 1, 2 ** 32, 5e12]) {
      const i = LogHistogram.indexOf(v);
      const up = LogHistogram.upperOf(i);
      const low = i === 0 ? 0 : LogHistogram.upperOf(i - 1);
      expect(v).toBeGreaterThanOrEqual(low);
      expect(v).toBeLessThan(up);
    }
  });

  test('quantiles are within the bucket error (1/16) and ordered', () => {
    const h = new LogHistogram();
    for (let v = 1; v <= 100000; v++) h.record(v * 10);
    const p50 = h.quantile(0.5);
    const p99 = h.quantile(0.99);
    expect(Math.abs(p50 - 500000) / 500000).toBeLessThan(1 / 16);
    expect(Math.abs(p99 - 990000) / 990000).toBeLessThan(1 / 16);
    expect(p50).toBeLessThan(p99);
    expect(h.quantile(1)).toBe(1000000);
  });

  test('cumulative counts for Prometheus buckets', () => {
    const h = new LogHistogram();
    h.recordN(1000, 3);
    h.recordN(1e6, 2);
    expect(h.cumulative([2000, 2e6, 1e9])).toEqual([3, 5, 5]);
  });
});
