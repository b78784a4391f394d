// The controller's /metrics is served from a ScrapeCache as the stages' is: scrapes within the
// cache window share one collection of the registry, so a scrape flood cannot keep the controller's
// event loop (which also runs swaps) busy rendering.

import { setTimeout as delay } from 'node:timers/promises';
import { ControllerMetrics, buildControllerApi, type Controller } from '@vnflab/controller';
import { Gauge } from 'prom-client';

test('two scrapes within the cache window do one collection; one after it does another', async () => {
  const metrics = new ControllerMetrics(200);
  let collections = 0;
  new Gauge({
    name: 'test_collections',
    help: 'counts the registry collections this test sees',
    registers: [metrics.registry],
    collect() {
      collections++;
      this.set(collections);
    },
  });
  // /metrics reads only the metrics; the controller (Docker) is not reached
  const app = buildControllerApi({ controller: {} as Controller, metrics, token: 'test-token' });
  await app.ready();
  try {
    const first = await app.inject({ method: 'GET', url: '/metrics' });
    const second = await app.inject({ method: 'GET', url: '/metrics' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toContain('text/plain');
    expect(first.body).toContain('vnflab_controller_swap_in_progress');
    expect(second.body).toBe(first.body);
    expect(collections).toBe(1);
    expect(first.body).toMatch(/^vnflab_metrics_renders_total 1$/m);

    await delay(300);
    const third = await app.inject({ method: 'GET', url: '/metrics' });
    expect(collections).toBe(2);
    expect(third.body).toMatch(/^vnflab_metrics_renders_total 2$/m);
  } finally {
    await app.close();
  }
});
