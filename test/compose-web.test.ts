// The web workload (chains/web.yaml, issue #14) in `docker compose`: VNFLAB_CHAIN=web with
// COMPOSE_PROFILES=web starts the http-client and web-server services beside the default ones;
// nic and kernel-path run the chain file's variants (native, linux) with no <STAGE>_VARIANT set;
// traffic-gen, lb and backends, which the web chain lacks, idle healthy. The client's
// transactions go round the closed loop, the accounting closes in both directions (every stage's
// /stats, read through the controller, summarized as `vnflab run --bus` does), and the Grafana
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
import { Compose, composeCommand, ensureDockerEngine, projectContainers, projectLeftovers } from './helpers/compose';
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
// a rate a busy two-core machine answers (200/s there timed a fifth of the connections out)
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
  async function stageStats(): Promise<InstanceResult[]> {
    const out: InstanceResult[] = [];
    for (const stage of WEB_STAGES) {
      const r = await fetch(`${controller}/stats/${stage}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await r.json()) as { containers: { stats: ServiceStatsJson | null; error?: string }[] };
      if (r.status !== 200) throw new Error(`/stats/${stage}: ${r.status} ${JSON.stringify(body)}`);
      for (const c of body.containers) {
        if (!c.stats) throw new Error(`/stats/${stage}: ${c.error}`);
        out.push({ snap: c.stats, restarts: 0, left: false });
      }
    }
    return out;
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
    const completed = 'sum(last_over_time(vnflab_http_transactions_total{result="completed"}[10m]))';
    const failed = 'sum(last_over_time(vnflab_http_transactions_total{result="failed"}[10m]))';
    const ended = await waitFor(
      'the client to end every transaction',
      async () => {
        const [c, f] = [await scalar(completed), await scalar(failed)];
        return c + f === COUNT ? { c, f } : undefined;
      },
      240000,
      2000,
    );
    // a transaction that timed out is counted with its reason (vnflab_http_transaction_failures_total)
    process.stderr.write(`compose web: ${ended.c} transactions completed, ${ended.f} failed\n`);
    expect(ended.c).toBeGreaterThan(COUNT / 2);
    // once the last segments have drained, every segment sent by either side is delivered or dropped
    const s = await waitFor(
      'the chain to drain',
      async () => {
        const sum = summarizeServices(WEB, await stageStats(), 1, { url: 'redis://redis:6379', run: 'main' });
        return sum.accounting_closed ? sum : undefined;
      },
      60000,
      2000,
    );
    process.stderr.write(
      `compose web: sent ${s.sent}, originated ${s.originated}, delivered ${s.delivered}, drops ${s.drops_total}\n`,
    );
    expect(s.sent).toBeGreaterThan(COUNT); // a transaction is several segments from the client
    expect(s.originated).toBeGreaterThan(COUNT); // and several from the server
    expect(s.sent + s.originated!).toBe(s.delivered! + s.drops_total);
  }, 360000);

  test('docker compose down -v leaves nothing behind', () => {
    compose!.ok(['down', '-v', '--remove-orphans']);
    expect(projectLeftovers(PROJECT)).toEqual([]);
  }, 300000);
});
