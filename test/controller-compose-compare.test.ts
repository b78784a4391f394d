// `vnflab compare` in compose mode, end to end except Docker: a stand-in controller (the real
// one's API shape: GET /chain, POST /swap with the token, PUT /traffic relayed to the running
// chain's generator) and a real Prometheus scraping a running chain. The report has the embedded
// report's structure, its numbers from PromQL.

import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainView, StageStatsView, SwapReport } from '@vnflab/controller';
import { PrometheusClient, waitForScrape, type CompareReport } from '@vnflab/lab';
import { hasCommand, vnflab, vnflabAsync } from './helpers/cli';
import { freePort, waitFor } from './helpers/ports';
import { startPrometheus, type RunningPrometheus } from './helpers/prometheus';

const TOKEN = 'compose-test-token';
const d = hasCommand('prometheus') ? describe : describe.skip;

d('compare --controller --prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vnflab-compose-compare-'));
  let ctl: FastifyInstance;
  let ctlUrl: string;
  let prom: RunningPrometheus;
  let run: ReturnType<typeof vnflabAsync>;
  const swaps: { auth: string | undefined; body: unknown }[] = [];
  const traffics: { auth: string | undefined; body: unknown }[] = [];
  let runUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    runUrl = `http://127.0.0.1:${port}`;
    run = vnflabAsync(['run', '--duration', '120', '--rate', '20000', '--quiet', '--metrics-port', String(port)], {
      env: { VNFLAB_CONTROL_TOKEN: TOKEN },
    });
    prom = await startPrometheus([`127.0.0.1:${port}`]);
    ctl = Fastify();
    ctl.get('/chain', async (): Promise<ChainView> => ({
      project: 'stand-in',
      chain: 'default',
      swap_in_progress: null,
      last_swap: null,
      stages: [
        {
          stage: 'nic',
          name: 'nic',
          variants: ['passthrough'],
          allowed_variants: ['passthrough', 'virtio'],
          containers: [
            {
              id: 'c0ffee',
              name: 'stand-in-nic-1',
              stage: 'nic',
              variant: 'passthrough',
              image: 'vnflab/nic:0.1.0',
              state: 'running',
              status: 'Up',
            },
          ],
        },
      ],
    }));
    // the generator's /stats as the controller relays it: its settings carry the rate it offers
    ctl.get('/stats/:stage', async (req): Promise<StageStatsView> => ({
      project: 'stand-in',
      stage: (req.params as { stage: string }).stage,
      containers: [
        { name: 'stand-in-traffic-gen-1', variant: 'udp', stats: { details: { settings: { rate: 20000, size: 64 } } } },
      ],
    }));
    ctl.post('/swap', async (req): Promise<SwapReport> => {
      swaps.push({ auth: req.headers.authorization, body: req.body });
      const now = new Date().toISOString();
      return {
        project: 'stand-in',
        stage: 'nic',
        variant: 'passthrough',
        started_at: now,
        finished_at: now,
        duration_ms: 1,
        replicas: [],
        unchanged: ['stand-in-nic-1'],
        accounting: { old_packets_in: null, new_packets_in: null, all_drained_gracefully: true },
      };
    });
    // as the controller relays it (services/controller/src/traffic-relay.ts): to the generator, with the token
    ctl.put('/traffic', async (req, reply) => {
      traffics.push({ auth: req.headers.authorization, body: req.body });
      const r = await fetch(`${runUrl}/traffic`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(req.body),
      });
      reply.code(r.status);
      return r.json();
    });
    ctlUrl = await ctl.listen({ port: 0, host: '127.0.0.1' });
    await waitFor(
      'Prometheus to have the chain',
      async () =>
        ((await prom.query('sum(rate(vnflab_packets_total{stage="backends",direction="out"}[5s]))'))[0]?.value[1] ??
          '0') !== '0'
          ? true
          : undefined,
      30000,
      500,
    );
  }, 60000);

  afterAll(async () => {
    await ctl?.close();
    await prom?.stop();
    run?.child.kill('SIGINT');
    await run?.done;
  });

  // the stand-in controller answers from this process: the command runs asynchronously
  test('swaps through the controller, measures the window from Prometheus, same report structure', async () => {
    const out = join(dir, 'report');
    const r = await vnflabAsync([
      'compare',
      '--stage',
      'nic',
      '--variants',
      'passthrough',
      '--controller',
      ctlUrl,
      '--prometheus',
      prom.url,
      '--token',
      TOKEN,
      '--warmup',
      '1',
      '--duration',
      '3',
      '--out',
      out,
    ]).done;
    if (r.status !== 0) throw new Error(`compare failed (${r.status}): ${r.stderr}`);
    // the banner says the rate the generator offers, read from its /stats through the controller
    expect(r.stderr).toMatch(
      /comparing nic passthrough \(compose, via the controller\), 20000 packets\/s \(the traffic-gen container's TRAFFIC_RATE\)/,
    );
    expect(swaps).toEqual([{ auth: `Bearer ${TOKEN}`, body: { stage: 'nic', variant: 'passthrough' } }]);
    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CompareReport;
    expect(rep).toMatchObject({
      kind: 'vnflab-compare',
      version: 1,
      mode: 'compose',
      chain: 'default',
      stage: 'nic',
      variants: ['passthrough'],
      sizes: [64],
    });
    expect(rep.settings.rate_pps).toBe(20000);
    expect(rep.results[0].rate_pps).toBe(20000);
    expect(rep.swaps).toEqual([{ variant: 'passthrough', duration_ms: null, unchanged: true }]);
    const x = rep.results[0];
    expect(x.size).toBe(64); // measured: bytes over packets, plus the FCS
    expect(x.packets_per_second).toBeGreaterThan(0);
    expect(x.sent).toBeGreaterThan(0);
    expect(x.events_per_packet.dma).toBeGreaterThan(0.9);
    expect(x.cpu.stage_ns_per_packet).toBeGreaterThan(0);
    expect(Object.values(x.cpu.chain_share).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(x.latency_seconds.count).toBeGreaterThan(0);
    expect(x.latency_seconds.cdf[x.latency_seconds.cdf.length - 1][1]).toBe(1);
    expect((x as unknown as { seen_variants: Record<string, number> }).seen_variants.passthrough).toBeGreaterThan(0);
    for (const f of ['report.md', 'report.html'])
      expect(readFileSync(join(out, f), 'utf8').length).toBeGreaterThan(500);
  }, 60000);

  test('--repeat 2 in compose: two windows after one swap, medians and every window kept', async () => {
    const before = swaps.length;
    const out = join(dir, 'repeat');
    // each window spans a few of this Prometheus's 1 s scrapes, so increase() has samples to work on
    const r = await vnflabAsync([
      'compare',
      '--stage',
      'nic',
      '--variants',
      'passthrough',
      '--controller',
      ctlUrl,
      '--prometheus',
      prom.url,
      '--token',
      TOKEN,
      '--warmup',
      '0',
      '--duration',
      '3',
      '--repeat',
      '2',
      '--out',
      out,
    ]).done;
    if (r.status !== 0) throw new Error(`compare failed (${r.status}): ${r.stderr}`);
    expect(swaps.length - before).toBe(1);
    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CompareReport;
    expect(rep.settings.repeat).toBe(2);
    const x = rep.results[0];
    expect(x.repeat!.trials).toHaveLength(2);
    for (const t of x.repeat!.trials) expect(t.received).toBeGreaterThan(0);
    const pps = x.repeat!.trials.map((t) => t.packets_per_second);
    expect(x.packets_per_second).toBeCloseTo((pps[0] + pps[1]) / 2, 6);
    expect(x.repeat!.spread.packets_per_second).toMatchObject({ min: Math.min(...pps), max: Math.max(...pps) });
  }, 60000);

  test("the warm-up waits for Prometheus to scrape the variant's series after the swap, and fails plainly when it never does", async () => {
    const p = new PrometheusClient(prom.url);
    // the running chain's nic is passthrough: two new samples come within about two scrapes (1 s each)
    const waited = await waitForScrape(p, {
      stage: 'nic',
      variant: 'passthrough',
      since: Date.now() / 1e3,
      timeoutS: 20,
    });
    expect(waited).toBeGreaterThan(0.5);
    expect(waited).toBeLessThan(20);
    // no virtio container is scraped: a clear line after the timeout, not an empty window
    const t0 = Date.now();
    await expect(
      waitForScrape(p, { stage: 'nic', variant: 'virtio', since: Date.now() / 1e3, timeoutS: 2 }),
    ).rejects.toThrow(
      `Prometheus at ${prom.url} has 0 samples of vnflab_packets_total{stage="nic",variant="virtio"} since the swap after 2 s (2 needed): is it scraping the new nic container?`,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
  }, 30000);

  test("--ndr --max-latency in compose: each trial sets the generator's rate through the controller, then its own rate is put back", async () => {
    const out = join(dir, 'ndr');
    const r = await vnflabAsync([
      'compare',
      '--stage',
      'nic',
      '--variants',
      'passthrough',
      '--controller',
      ctlUrl,
      '--prometheus',
      prom.url,
      '--token',
      TOKEN,
      '--ndr',
      '--max-latency',
      '50',
      '--max-iterations',
      '2',
      '--warmup',
      '0',
      '--duration',
      '2',
      '--out',
      out,
    ]).done;
    if (r.status !== 0) throw new Error(`compare failed (${r.status}): ${r.stderr}`);
    expect(r.stderr).toMatch(
      /NDR with p99 <= 50\.00 ms search, steering the traffic-gen container's rate through the controller/,
    );
    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CompareReport;
    expect(rep.settings.ndr).toEqual({ resolution: 0.02, max_iterations: 2, max_latency_s: 0.05 });
    const n = rep.results[0].ndr!;
    expect(n.max_latency_s).toBe(0.05);
    expect(n.max_pps).toBeGreaterThan(0);
    expect(n.trials.length).toBeGreaterThan(0);
    // the unlimited trial, each search trial's rate, then the generator's own 20,000 back
    const rates = traffics.map((t) => (t.body as { rate: number }).rate);
    expect(rates).toEqual([0, ...n.trials.map((t) => t.rate_pps), 20000]);
    expect(traffics.every((t) => t.auth === `Bearer ${TOKEN}`)).toBe(true);
    for (const t of n.trials) if (t.drops > 0 || t.not_sent > 0) expect(t.passed).toBe(false);
    const now = (await (await fetch(`${runUrl}/traffic`)).json()) as { rate: number; running: boolean };
    expect(now).toMatchObject({ rate: 20000, running: true });
  }, 120000);

  test('compose mode refuses the embedded-only traffic flags, and says when the controller is away', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const rate = await vnflabAsync([
      'compare',
      '--stage',
      'nic',
      '--controller',
      ctlUrl,
      '--prometheus',
      prom.url,
      '--rate',
      '1000',
    ]).done;
    expect(rate.status).toBe(2);
    expect(rate.stderr).toMatch(/--rate: in compose mode the traffic is the traffic-gen container's own/);
    const away = vnflab(['compare', '--stage', 'nic', '--controller', nobody, '--prometheus', prom.url]);
    expect(away.status).toBe(2);
    expect(away.stderr).toBe(
      `vnflab: cannot reach the controller at ${nobody}: ECONNREFUSED (is it running? docker compose publishes it on CONTROLLER_PORT, 8088 by default)\n`,
    );
  });
});
