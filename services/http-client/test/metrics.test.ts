// The client's Prometheus metrics through core's registry: the declared names, bounded labels,
// histograms with their buckets, values that match the run.

import { createMetricsRegistry } from '@vnflab/core';
import { HttpClient, httpClientStage } from '../src';
import { TestServer, runLoop } from './helpers';

test('transactions, connections by outcome and failure, responses by class, and three histograms', async () => {
  const c = new HttpClient('ab', { count: 12, connections: 4 });
  runLoop(c, new TestServer('serve'));
  const reg = createMetricsRegistry({
    stages: () => [],
    e2e: () => [],
    extra: () => c.metrics(),
    declared: httpClientStage.metrics,
  });
  const text = await reg.metrics();
  const base = 'stage="http-client",variant="ab"';
  expect(text).toContain(`vnflab_http_transactions_total{${base},result="completed"} 12`);
  expect(text).toContain(`vnflab_http_transactions_total{${base},result="failed"} 0`);
  expect(text).toContain(`vnflab_http_connections_total{${base},outcome="opened"} 12`);
  expect(text).toContain(`vnflab_http_connection_failures_total{${base},reason="refused"} 0`);
  expect(text).toContain(`vnflab_http_responses_total{${base},class="2xx"} 12`);
  expect(text).toContain(`vnflab_http_requests_total{${base}} 12`);
  expect(text).toContain('# TYPE vnflab_http_connect_seconds histogram');
  expect(text).toContain(`vnflab_http_connect_seconds_count{${base}} 12`);
  expect(text).toContain(`vnflab_http_transaction_seconds_bucket{${base},le="+Inf"} 12`);
  expect(text).toContain(`vnflab_http_ttfb_seconds_count{${base}} 12`);
  // every label value comes from a fixed list
  const labels = new Set([...text.matchAll(/(reason|class|outcome|result)="([^"]+)"/g)].map((m) => m[2]));
  expect(labels.size).toBeLessThanOrEqual(20);
});
