// The embedded metrics server under a /metrics flood: scrapes share renders (ScrapeCache), counted by
// vnflab_metrics_renders_total, so a flood costs at most one render per interval plus one.

import type { AddressInfo } from 'node:net';
import { createMetricsRegistry, RENDERS_METRIC } from '@vnflab/core';
import { startMetricsServer } from '@vnflab/runtime';

const INTERVAL_MS = 100;
const renders = (text: string): number => Number(new RegExp(`^${RENDERS_METRIC} (\\d+)$`, 'm').exec(text)![1]);

test('concurrent scrapes for 1 s cause at most ceil(elapsed / interval) + 1 renders', async () => {
  const registry = createMetricsRegistry({ stages: () => [], e2e: () => [] });
  const app = await startMetricsServer(registry, 0, undefined, '127.0.0.1', INTERVAL_MS);
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/metrics`;
  try {
    let scrapes = 0;
    const start = performance.now();
    const worker = async (): Promise<void> => {
      while (performance.now() - start < 1000) {
        const r = await fetch(url);
        expect(r.status).toBe(200);
        expect(await r.text()).toContain('# TYPE vnflab_metrics_renders_total counter');
        scrapes++;
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const elapsed = performance.now() - start;

    // one more scrape after the interval renders once more and reports every render so far
    await new Promise((r) => setTimeout(r, INTERVAL_MS + 10));
    const flood = renders(await (await fetch(url)).text()) - 1;
    expect(flood).toBeLessThanOrEqual(Math.ceil(elapsed / INTERVAL_MS) + 1);
    expect(flood).toBeGreaterThanOrEqual(2); // the text is refreshed during the flood, not frozen
    expect(scrapes).toBeGreaterThan(2 * flood);
  } finally {
    await app.close();
  }
}, 30000);
