// /metrics of the embedded runner: the names README.md lists under "Metrics", accepted by `promtool check
// metrics`, and scraped by a real Prometheus while a chain runs.

import { spawnSync } from 'node:child_process';
import { vnflabAsync } from './helpers/cli';
import { freePort, waitFor } from './helpers/ports';
import { startPrometheus } from './helpers/prometheus';

const NAMES = [
  'vnflab_packets_total',
  'vnflab_bytes_total',
  'vnflab_drops_total',
  'vnflab_stage_latency_seconds',
  'vnflab_e2e_latency_seconds',
  'vnflab_cpu_seconds_total',
  'vnflab_events_total',
  'vnflab_batch_size',
  'vnflab_ring_occupancy',
  'vnflab_bus_pending',
];

test('a running chain exposes every metric, promtool accepts them and Prometheus scrapes them', async () => {
  const port = await freePort();
  const run = vnflabAsync(['run', '--duration', '30', '--rate', '50000', '--quiet', '--metrics-port', String(port)]);
  try {
    const backendsIn = /vnflab_packets_total\{stage="backends",variant="sink",direction="in"\} [1-9]/;
    // wait for packets at the far end, not merely any non-zero sample (process CPU is one from the start)
    const text = await waitFor('metrics endpoint', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      const t = await r.text();
      return t.includes('vnflab_e2e_latency_seconds_bucket') && backendsIn.test(t) ? t : undefined;
    });
    for (const n of NAMES) expect(text).toContain(`# TYPE ${n} `);
    expect(text).toMatch(backendsIn);
    expect(text).toMatch(/vnflab_cpu_seconds_total\{stage="traffic-gen",variant="udp",category="app"\} /);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    // our metrics pass promtool's lint (prom-client's own nodejs_* gauges have known complaints)
    const ours = (lint.stdout + lint.stderr).split('\n').filter((l) => l.startsWith('vnflab_') || /error/i.test(l));
    expect(ours).toEqual([]);

    const prom = await startPrometheus([`127.0.0.1:${port}`]);
    try {
      const res = await waitFor(
        'a scrape with data',
        async () => {
          const r = await prom.query('sum by (stage) (rate(vnflab_packets_total{direction="out"}[5s]))');
          return r.length >= 2 && r.every((x) => Number(x.value[1]) > 0) ? r : undefined;
        },
        30000,
        500,
      );
      expect(res.map((r) => r.metric.stage).sort()).toEqual(['backends', 'kernel-path', 'lb', 'nic', 'traffic-gen']);
      const p99 = await prom.query(
        'histogram_quantile(0.99, sum by (le) (rate(vnflab_e2e_latency_seconds_bucket[5s])))',
      );
      expect(Number(p99[0].value[1])).toBeGreaterThan(0);
    } finally {
      await prom.stop();
    }
  } finally {
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.stdout).toContain('accounting closes');
    expect(r.status).toBe(0);
  }
});
