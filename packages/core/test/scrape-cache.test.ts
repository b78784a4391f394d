// ScrapeCache: scrapes share one render per interval and wait for a running one, on a clock the test turns.

import { Registry } from 'prom-client';
import { RENDERS_METRIC, ScrapeCache } from '@vnflab/core';

/** A registry with one gauge read at render time, counting how often it was read. */
function gaugeRegistry(): { reg: Registry; set: (v: number) => void; reads: () => number } {
  const reg = new Registry();
  let value = 0;
  let reads = 0;
  reg.registerMetric({
    name: 'test_value',
    help: 'a value read when rendered',
    type: 'gauge',
    aggregator: 'sum',
    get: () => {
      reads++;
      return {
        name: 'test_value',
        help: 'a value read when rendered',
        type: 'gauge',
        aggregator: 'sum',
        values: [{ labels: {}, value }],
      };
    },
  } as never);
  return { reg, set: (v) => (value = v), reads: () => reads };
}

const valueIn = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)![1]);

describe('ScrapeCache', () => {
  test('concurrent scrapes wait for the one running render (even with no caching interval)', async () => {
    const g = gaugeRegistry();
    const cache = new ScrapeCache(g.reg, 0, () => 0);
    g.set(7);
    const texts = await Promise.all(Array.from({ length: 50 }, () => cache.exposition()));
    expect(cache.renders).toBe(1);
    expect(g.reads()).toBe(1);
    expect(new Set(texts).size).toBe(1);
    expect(valueIn(texts[0], 'test_value')).toBe(7);
    expect(valueIn(texts[0], RENDERS_METRIC)).toBe(1);
  });

  test('within the interval every scrape gets the same text; after it, a fresh render', async () => {
    const g = gaugeRegistry();
    let t = 0;
    const cache = new ScrapeCache(g.reg, 1000, () => t);
    g.set(1);
    const first = await cache.exposition();
    g.set(2);
    t = 999;
    expect(await cache.exposition()).toBe(first); // stale by design, at most one interval old
    expect(cache.renders).toBe(1);
    t = 1000;
    const second = await cache.exposition();
    expect(valueIn(second, 'test_value')).toBe(2);
    expect(valueIn(second, RENDERS_METRIC)).toBe(2);
    expect(g.reads()).toBe(2);
  });

  test('a scrape per ms for 10 s of clock renders at most ceil(elapsed / interval) + 1 times', async () => {
    const g = gaugeRegistry();
    let t = 0;
    const cache = new ScrapeCache(g.reg, 1000, () => t);
    for (; t <= 10000; t++) await cache.exposition();
    expect(cache.renders).toBeLessThanOrEqual(Math.ceil(10000 / 1000) + 1);
    expect(cache.renders).toBeGreaterThanOrEqual(10); // and it does refresh every interval
  });

  test('interval 0 renders every scrape that finds no render running', async () => {
    const g = gaugeRegistry();
    const cache = new ScrapeCache(g.reg, 0, () => 0);
    await cache.exposition();
    await cache.exposition();
    expect(cache.renders).toBe(2);
  });

  test('a failed render is not cached and reaches every waiting scrape', async () => {
    const reg = new Registry();
    let fail = true;
    reg.registerMetric({
      name: 'test_flaky',
      help: 'fails once',
      type: 'gauge',
      aggregator: 'sum',
      get: () => {
        if (fail) throw new Error('element exploded');
        return {
          name: 'test_flaky',
          help: 'fails once',
          type: 'gauge',
          aggregator: 'sum',
          values: [{ labels: {}, value: 3 }],
        };
      },
    } as never);
    const cache = new ScrapeCache(reg, 1000, () => 0);
    const both = [cache.exposition(), cache.exposition()];
    for (const p of both) await expect(p).rejects.toThrow('element exploded');
    fail = false;
    expect(valueIn(await cache.exposition(), 'test_flaky')).toBe(3);
    expect(cache.renders).toBe(2);
  });

  test('a bad interval is refused with a message naming it', () => {
    expect(() => new ScrapeCache(new Registry(), Number.NaN)).toThrow(/scrape cache interval .* got NaN/);
    expect(() => new ScrapeCache(new Registry(), -1)).toThrow(/got -1/);
  });
});
