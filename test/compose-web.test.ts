// The web workload (chains/web.yaml, issue #14) in `docker compose`: VNFLAB_CHAIN=web with
// COMPOSE_PROFILES=web starts the http-client and web-server services beside the default ones;
// nic and kernel-path run the chain file's variants (native, linux) with no <STAGE>_VARIANT set;
// traffic-gen, lb and backends, which the web chain lacks, idle healthy. The client's
// transactions go round the closed loop; the client ends its run and the end travels through
// every hop both ways, and then the accounting closes in both directions (every stage's /stats,
// read through the controller, summarized as `vnflab run --bus` does; a failure prints each
// stage's ledger and each container's restarts and OOM kills); and the Grafana
// CPU dashboard's Figure 1 bar query has data for nic, kernel-path and web-server in the compose
// Prometheus. Images are built offline under a tag of this test's own (VNFLAB_VERSION), so
// images another project runs are never replaced. Skipped, with the reason, where no Docker
// engine can run.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverStages, loadChainFile } from '@vnflab/core';
import { summarizeServices, type InstanceResult, type ServiceStatsJson } from '@vnflab/runtime';
import { ROOT } from './helpers/cli';
import {
  Compose,
  composeCommand,
  containerStates,
  ensureDockerEngine,
  projectContainers,
  projectLeftovers,
} from './helpers/compose';
import { freePort, waitFor } from './helpers/ports';

const engine = ensureDockerEngine();
const cmd = composeCommand();
const why = !engine.ok ? engine.why : !cmd ? 'neither `docker compose` nor docker-compose is installed' : undefined;
if (why) process.stderr.write(`compose web test skipped: ${why}\n`);
const maybe = why ? describe.skip : describe;

const PROJECT = `vnflabweb${process.pid}`;
// VNFLAB_TEST_IMAGE_TAG: run images already built under that tag (build-offline.sh with
// VNFLAB_VERSION), neither building nor removing them
const PREBUILT = process.env.VNFLAB_TEST_IMAGE_TAG || undefined;
const TAG = PREBUILT ?? `web-test-${process.pid}`;
const TOKEN = `web-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
// transactions per second and in all: about a minute of load, so the 30 s rates have data, at
// a rate a busy two-core machine answers (200/s there timed a fifth of the connections out).
// The paced client waits on its returns a few ms at a time, which Redis's BLOCK cannot time
// below its 100 ms tick (redis-consumer.ts waits those on a timer of its own)
const RATE = 10;
const COUNT = 600;
const registry = discoverStages();
const WEB = loadChainFile(join(ROOT, 'chains/web.yaml'), registry);
const DEFAULT = loadChainFile(join(ROOT, 'chains/default.yaml'), registry);
const WEB_STAGES = WEB.stages.map((s) => s.stage);
const IDLE_STAGES = DEFAULT.stages.map((s) => s.stage).filter((s) => !WEB_STAGES.includes(s));
const IMAGES = [...new Set([...WEB_STAGES, ...IDLE_STAGES, 'controller'])];

/** The Figure 1 bar panel's own query (ours, refId A), as dashboards/build.js wrote it. */
function figureOneExpr(): string {
  const dash = JSON.parse(readFileSync(join(ROOT, 'dashboards/vnflab-cpu.json'), 'utf8')) as {
    panels: { title?: string; targets?: { refId: string; expr: string }[] }[];
  };
  const panel = dash.panels.find((p) => p.title?.startsWith('Figure 1 bar'));
  const expr = panel?.targets?.find((t) => t.refId === 'A')?.expr;
  if (!expr) throw new Error('dashboards/vnflab-cpu.json has no Figure 1 bar panel with a query A');
  return expr;
}

maybe('docker compose: the web workload (VNFLAB_CHAIN=web, profile web)', () => {
  let compose: Compose | undefined;
  let prom: string;
  let controller: string;

  async function q(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const r = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const j = (await r.json()) as {
      status: string;
      error?: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (j.status !== 'success') throw new Error(`${expr}: ${j.error}`);
    return j.data.result;
  }
  const scalar = async (expr: string): Promise<number> => Number((await q(expr))[0]?.value[1] ?? NaN);

  /** Every web stage's /stats through the controller (the stages publish nothing on the host). */
  async function stageSnaps(): Promise<ServiceStatsJson[]> {
    const out: ServiceStatsJson[] = [];
    for (const stage of WEB_STAGES) {
      const r = await fetch(`${controller}/stats/${stage}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await r.json()) as { containers: { stats: ServiceStatsJson | null; error?: string }[] };
      if (r.status !== 200) throw new Error(`/stats/${stage}: ${r.status} ${JSON.stringify(body)}`);
      for (const c of body.containers) {
        if (!c.stats) throw new Error(`/stats/${stage}: ${c.error}`);
        out.push(c.stats);
      }
    }
    return out;
  }

  /** What a failure shows: each stage's state and ledger, each container's restarts and OOM kills. */
  function report(snaps: ServiceStatsJson[]): string {
    const rows = snaps.map((j) => {
      const st = j.stats;
      const tx = (j.details as { headline?: string } | null)?.headline;
      return (
        `  ${j.service.stage} ${j.service.state}: in ${st.packets_in}, out ${st.packets_out}, originated ` +
        `${st.originated}, delivered ${st.delivered}, drops ${JSON.stringify(st.drops)}; bus produced ` +
        `${j.bus.produced}, consumed ${j.bus.consumed}, in hand ${j.bus.in_hand}${tx ? `; ${tx}` : ''}`
      );
    });
    return ['stages (their /stats):', ...rows, 'containers:', ...containerStates(PROJECT)].join('\n');
  }

  /** waitFor, and on a timeout the report of the last /stats seen. */
  async function waitReporting<T>(
    what: string,
    f: (snaps: ServiceStatsJson[]) => T | undefined,
    timeoutMs: number,
  ): Promise<T> {
    let last: ServiceStatsJson[] = [];
    try {
      return await waitFor(
        what,
        async () => {
          last = await stageSnaps();
          return f(last);
        },
        timeoutMs,
        2000,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${report(last)}`);
    }
  }

  beforeAll(async () => {
    const b = PREBUILT
      ? { status: 0, stderr: '' }
      : spawnSync('bash', ['infra/docker/build-offline.sh'], {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 2400000, // nine images on a busy two-core machine took over 15 minutes
          // the images this project starts (firewall is not in the web profile)
          env: { ...process.env, VNFLAB_VERSION: TAG, VNFLAB_STAGES: IMAGES.join(' ') },
        });
    if (b.status !== 0) throw new Error(`build-offline.sh failed: ${b.stderr.slice(-2000)}`);
    const [pp, cp, gp] = [await freePort(), await freePort(), await freePort()];
    prom = `http://127.0.0.1:${pp}`;
    controller = `http://127.0.0.1:${cp}`;
    compose = new Compose(cmd!, PROJECT, {
      PROMETHEUS_PORT: String(pp),
      CONTROLLER_PORT: String(cp),
      GRAFANA_PORT: String(gp),
      TRAFFIC_RATE: String(RATE),
      TRAFFIC_COUNT: String(COUNT),
      VNFLAB_CONTROL_TOKEN: TOKEN,
      VNFLAB_VERSION: TAG,
      COMPOSE_PROJECT_NAME: PROJECT,
      VNFLAB_CHAIN: 'web',
      COMPOSE_PROFILES: 'web',
      // .env may name variants: this test runs the chain file's own
      NIC_VARIANT: '',
      KERNEL_PATH_VARIANT: '',
      LB_VARIANT: '',
    });
    compose.ok(['up', '-d']);
  }, 2700000);

  afterAll(() => {
    if (compose && projectLeftovers(PROJECT).length) compose.run(['down', '-v', '--remove-orphans']);
    // this test's tags only; the layers stay while other tags use them
    if (!PREBUILT) spawnSync('docker', ['rmi', ...IMAGES.map((s) => `vnflab/${s}:${TAG}`)], { stdio: 'ignore' });
  }, 300000);

  test('every service is healthy: the web stages run, the default chain stages the web chain lacks idle', async () => {
    const services = ['redis', ...WEB_STAGES, ...IDLE_STAGES, 'controller', 'prometheus'];
    const cs = await waitFor(
      'healthy services',
      async () => {
        const all = projectContainers(PROJECT);
        return services.every((s) => all.some((c) => c.service === s && c.health === 'healthy')) ? all : undefined;
      },
      180000,
      1000,
    );
    for (const s of services)
      expect({ s, health: cs.filter((c) => c.service === s).map((c) => c.health) }).toEqual({
        s,
        health: ['healthy'],
      });
    expect(cs.some((c) => c.service === 'firewall')).toBe(false); // not in the web profile
    expect(IDLE_STAGES.sort()).toEqual(['backends', 'lb', 'traffic-gen']);
    for (const s of IDLE_STAGES) {
      const logs = compose!.ok(['logs', '--no-color', s]);
      expect({ s, idle: logs.match(/idle: chain \\"web\\" has no stage/g)?.length }).toEqual({ s, idle: 1 });
    }
  }, 240000);

  test('transactions go round the loop; nic and kernel-path run the chain file variants', async () => {
    const done = 'sum(last_over_time(vnflab_http_transactions_total{result="completed"}[10m]))';
    await waitFor(
      'transactions at the http-client',
      async () => ((await scalar(done)) > 0 ? true : undefined),
      120000,
      1000,
    );
    const variants = await q('sum by (stage, variant) (vnflab_packets_total{direction="in"})');
    const variantOf = (stage: string): string[] =>
      variants.filter((r) => r.metric.stage === stage).map((r) => r.metric.variant);
    expect(variantOf('nic')).toEqual(['native']);
    expect(variantOf('kernel-path')).toEqual(['linux']);
    expect(variantOf('web-server')).toEqual(['lighttpd']);
  }, 180000);

  test("the Figure 1 bar panel's query has data for nic, kernel-path and web-server", async () => {
    const expr = figureOneExpr();
    // the panel's selector, per stage: every stage under test contributes to the bar
    const selector = /stage:vnflab_cpu_group_seconds:rate30s\{[^}]*\}/.exec(expr)![0];
    const byStage = await waitFor(
      'CPU groups of every web stage',
      async () => {
        const r = await q(`sum by (stage) (${selector})`);
        return ['nic', 'kernel-path', 'web-server'].every((s) =>
          r.some((x) => x.metric.stage === s && Number(x.value[1]) > 0),
        )
          ? r
          : undefined;
      },
      120000,
      2000,
    );
    expect(byStage.map((r) => r.metric.stage).sort()).toEqual(['kernel-path', 'nic', 'web-server']);
    const bar = await q(expr);
    const share = Object.fromEntries(bar.map((r) => [r.metric.group, Number(r.value[1])]));
    process.stderr.write(`compose web: Figure 1 bar ${JSON.stringify(share)}\n`);
    expect(Object.keys(share).sort()).toEqual(['application', 'kernel_without_tcpip', 'packet_io', 'tcpip']);
    // the web server's application share, and the shares of one bar add up to one
    expect(share.application).toBeGreaterThan(0);
    expect(Object.values(share).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  }, 180000);

  test('the client ends its transactions and the accounting closes in both directions', async () => {
    // the client's own end: every transaction completed or failed, and its end flag written
    const client = await waitReporting(
      'the http-client to end its run',
      (snaps) => snaps.find((j) => j.service.stage === 'http-client' && j.service.state === 'finished'),
      150000,
    );
    const tx = (client.details as { transactions: { completed: number; failed: Record<string, number> } }).transactions;
    const failed = Object.values(tx.failed).reduce((a, b) => a + b, 0);
    process.stderr.write(`compose web: ${(client.details as { headline: string }).headline}\n`);
    // a transaction that failed is counted with its reason (the headline above names them)
    expect(tx.completed + failed).toBe(COUNT);
    expect(tx.completed).toBeGreaterThan(COUNT / 2);
    // the end travels forward and back: every stage finishes once its hops are drained
    const snaps = await waitReporting(
      'every web stage to finish (end flags through every hop, both ways)',
      (all) => (all.every((j) => j.service.state === 'finished') ? all : undefined),
      60000,
    );
    const s = summarizeServices(
      WEB,
      snaps.map((snap): InstanceResult => ({ snap, restarts: 0, left: false })),
      1,
      { url: 'redis://redis:6379', run: 'main' },
    );
    const line = `sent ${s.sent}, originated ${s.originated}, delivered ${s.delivered}, drops ${s.drops_total} ${JSON.stringify(s.bus.lost)}`;
    process.stderr.write(`compose web: ${line}\n`);
    if (!s.accounting_closed) throw new Error(`the accounting does not close: ${line}\n${report(snaps)}`);
    expect(s.sent).toBeGreaterThan(COUNT); // a transaction is several segments from the client
    expect(s.originated).toBeGreaterThan(COUNT); // and several from the server
    expect(s.sent + s.originated!).toBe(s.delivered! + s.drops_total);
    // and Prometheus scraped the client's final count
    const completed = 'sum(last_over_time(vnflab_http_transactions_total{result="completed"}[10m]))';
    await waitFor(
      'Prometheus to scrape the final count',
      async () => ((await scalar(completed)) === tx.completed ? true : undefined),
      30000,
      2000,
    ).catch((e: Error) => {
      throw new Error(`${e.message} (the client completed ${tx.completed})\n${containerStates(PROJECT).join('\n')}`);
    });
  }, 300000);

  test('docker compose down -v leaves nothing behind', () => {
    compose!.ok(['down', '-v', '--remove-orphans']);
    expect(projectLeftovers(PROJECT)).toEqual([]);
  }, 300000);
});
