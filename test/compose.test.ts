// `docker compose up` end to end with a real Docker engine: the images built offline, every
// service healthy, traffic through every stage to the backends, the compose Prometheus scraping
// every target, containers under their memory limits; kernel-path scales to two replicas; the
// controller swaps nic from passthrough to virtio and back under traffic with no packet lost
// (across the scale-out too); `down -v` leaves nothing behind.
// Skipped, with the reason, where no Docker engine can run.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { discoverStages, loadChainFile } from '@vnflab/core';
import { ROOT } from './helpers/cli';
import { Compose, composeCommand, ensureDockerEngine, projectContainers, projectLeftovers } from './helpers/compose';
import { freePort, waitFor } from './helpers/ports';

const engine = ensureDockerEngine();
const cmd = composeCommand();
const why = !engine.ok ? engine.why : !cmd ? 'neither `docker compose` nor docker-compose is installed' : undefined;
if (why) process.stderr.write(`compose test skipped: ${why}\n`);
const maybe = why ? describe.skip : describe;

const PROJECT = `vnflabe2e${process.pid}`;
const TOKEN = 'compose-test-token';
const RATE = 10000;
const COUNT = RATE * 75; // long enough for two swaps under traffic
// the default chain's stages (compose runs chains/default.yaml), and the controller
const STAGES = [
  ...loadChainFile(join(ROOT, 'chains/default.yaml'), discoverStages()).stages.map((s) => s.stage),
  'controller',
];
const SERVICES = ['redis', ...STAGES, 'prometheus'];

maybe('docker compose up: the chain as containers', () => {
  let compose: Compose;
  let prom: string;
  let controller: string;
  const timings: Record<string, number> = {};

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

  beforeAll(async () => {
    // the images, without a registry (cached rootfs after the first build)
    const b = spawnSync('bash', ['infra/docker/build-offline.sh'], { cwd: ROOT, encoding: 'utf8', timeout: 900000 });
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
      TRAFFIC_FLUSH_MS: '3', // not the generator's default (2), so the test sees it reach the container
      VNFLAB_CONTROL_TOKEN: TOKEN,
      COMPOSE_PROJECT_NAME: PROJECT,
    });
    const t0 = Date.now();
    compose.ok(['up', '-d']);
    await waitFor(
      'packets at the backends',
      async () =>
        (await scalar('sum(vnflab_packets_total{stage="backends",direction="out"})')) > 0 ? true : undefined,
      120000,
      500,
    );
    timings.up_to_first_packet_s = (Date.now() - t0) / 1e3;
    process.stderr.write(
      `compose: docker-compose up -d to the first packet at the backends: ${timings.up_to_first_packet_s.toFixed(1)} s\n`,
    );
  }, 1200000);

  afterAll(() => {
    if (compose && projectLeftovers(PROJECT).length) compose.run(['down', '-v', '--remove-orphans']);
  }, 300000);

  test('every service is up and healthy', async () => {
    const cs = await waitFor(
      'healthy services',
      async () => {
        const all = projectContainers(PROJECT);
        return SERVICES.every((s) => all.some((c) => c.service === s && c.health === 'healthy')) ? all : undefined;
      },
      120000,
      1000,
    );
    for (const s of SERVICES) expect(cs.filter((c) => c.service === s).map((c) => c.health)).toEqual(['healthy']);
  }, 180000);

  test('every published port listens on loopback only (VNFLAB_BIND defaults to 127.0.0.1)', () => {
    const ids = projectContainers(PROJECT).map((c) => c.id);
    const inspected = JSON.parse(spawnSync('docker', ['inspect', ...ids], { encoding: 'utf8' }).stdout) as {
      Name: string;
      NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> };
    }[];
    const published = inspected.flatMap((c) =>
      Object.values(c.NetworkSettings.Ports ?? {}).flatMap((bindings) =>
        (bindings ?? []).map((b) => `${c.Name} ${b.HostIp}:${b.HostPort}`),
      ),
    );
    expect(published.length).toBeGreaterThanOrEqual(2); // Prometheus and the controller (Grafana is off offline)
    expect(published.filter((p) => !/ 127\.0\.0\.1:\d+$/.test(p))).toEqual([]);
  });

  test("the generator's traffic, read through the controller, is what .env set", async () => {
    const r = await fetch(`${controller}/traffic`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ stage: 'traffic-gen', rate: RATE, flush_ms: 3, running: true });
  });

  test('Prometheus scrapes every stage and sees traffic through every stage', async () => {
    const up = await waitFor(
      'every target up',
      async () => {
        const r = await q('up{job="vnflab"}');
        return r.length >= STAGES.length && r.every((x) => x.value[1] === '1') ? r : undefined;
      },
      60000,
      1000,
    );
    expect(up.map((r) => r.metric.service).sort()).toEqual([...STAGES].sort());
    const rates = await waitFor(
      'per-stage rates',
      async () => {
        const r = await q('sum by (stage) (rate(vnflab_packets_total{direction="in"}[10s]))');
        return ['nic', 'kernel-path', 'lb', 'backends'].every((s) =>
          r.some((x) => x.metric.stage === s && Number(x.value[1]) > 0),
        )
          ? r
          : undefined;
      },
      60000,
      1000,
    );
    expect(rates.length).toBeGreaterThanOrEqual(4);
    expect(await scalar('sum(vnflab_cpu_seconds_total{stage="kernel-path"})')).toBeGreaterThan(0);
  }, 120000);

  test('every container stays under its memory limit', () => {
    const ids = projectContainers(PROJECT).map((c) => c.id);
    const r = spawnSync('docker', ['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}', ...ids], {
      encoding: 'utf8',
    });
    const unit = (v: string): number =>
      Number.parseFloat(v) * ({ B: 1, KiB: 1024, MiB: 2 ** 20, GiB: 2 ** 30 }[v.replace(/[\d.]/g, '') as 'B'] ?? 1);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => {
        const [name, used, , limit] = l.split(/\s+/);
        return { name, used: unit(used), limit: unit(limit) };
      });
    expect(rows.length).toBe(ids.length);
    for (const row of rows) {
      process.stderr.write(
        `compose: ${row.name} ${(row.used / 2 ** 20).toFixed(0)} MiB of ${(row.limit / 2 ** 20).toFixed(0)} MiB\n`,
      );
      expect(row.used).toBeLessThan(row.limit);
    }
  });

  test('--scale kernel-path=2 under traffic: both replicas share the stage and Prometheus scrapes each', async () => {
    compose.ok(['up', '-d', '--no-recreate', '--scale', 'kernel-path=2']);
    const perReplica = await waitFor(
      'two kernel-path replicas with traffic',
      async () => {
        const r = await q('sum by (instance) (rate(vnflab_packets_total{stage="kernel-path",direction="in"}[10s]))');
        return r.length === 2 && r.every((x) => Number(x.value[1]) > 0) ? r : undefined;
      },
      60000,
      1000,
    );
    expect(perReplica).toHaveLength(2);
  }, 120000);

  test('the controller swaps nic passthrough -> virtio -> passthrough under traffic; nothing is lost', async () => {
    const swap = async (variant: string): Promise<{ duration_ms: number; replicas: unknown[] }> => {
      const r = await fetch(`${controller}/swap`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ stage: 'nic', variant }),
      });
      const body = await r.json();
      expect({ status: r.status, body }).toMatchObject({ status: 200 });
      return body as { duration_ms: number; replicas: unknown[] };
    };
    const before = projectContainers(PROJECT)
      .filter((c) => c.service === 'nic')
      .map((c) => c.id);
    const s1 = await swap('virtio');
    process.stderr.write(`compose: swap nic passthrough -> virtio took ${s1.duration_ms} ms\n`);
    const after = projectContainers(PROJECT).filter((c) => c.service === 'nic');
    expect(after).toHaveLength(1);
    expect(before).not.toContain(after[0].id); // the old container is gone
    await waitFor(
      'Prometheus sees the virtio nic',
      async () => {
        const r = await q('sum by (variant) (rate(vnflab_packets_total{stage="nic",direction="in"}[10s]))');
        return r.some((x) => x.metric.variant === 'virtio' && Number(x.value[1]) > 0) ? true : undefined;
      },
      60000,
      1000,
    );
    const s2 = await swap('passthrough');
    process.stderr.write(`compose: swap nic virtio -> passthrough took ${s2.duration_ms} ms\n`);

    // the generator sends COUNT packets; once all are through, every one is accounted for
    const sent = 'sum(last_over_time(vnflab_packets_total{stage="traffic-gen",direction="out"}[10m]))';
    const received = 'sum(last_over_time(vnflab_packets_total{stage="backends",direction="out"}[10m]))';
    await waitFor(
      'the generator to finish and the chain to drain',
      async () => {
        const [s, r] = [await scalar(sent), await scalar(received)];
        return s === COUNT && r === COUNT ? true : undefined;
      },
      240000,
      2000,
    );
    expect(await scalar('sum(vnflab_drops_total) or vector(0)')).toBe(0);
  }, 400000);

  test('docker compose down -v leaves nothing behind', () => {
    compose.ok(['down', '-v', '--remove-orphans']);
    expect(projectLeftovers(PROJECT)).toEqual([]);
  }, 300000);
});

// Another chain file in compose: the firewall, a stage outside the default chain, runs from its
// compose profile (generated from its manifest) with VNFLAB_CHAIN choosing chains/firewall.yaml.
maybe('docker compose: the firewall chain from its profile', () => {
  const project = `${PROJECT}fw`;
  const count = 30000;
  let compose: Compose;
  let prom: string;
  const scalar = async (expr: string): Promise<number> => {
    const j = (await (await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
      data: { result: { value: [number, string] }[] };
    };
    return Number(j.data.result[0]?.value[1] ?? NaN);
  };

  afterAll(() => {
    if (compose && projectLeftovers(project).length) compose.run(['down', '-v', '--remove-orphans']);
  }, 300000);

  test('packets pass the firewall container, its denials are counted, the accounting closes', async () => {
    const [pp, cp, gp] = [await freePort(), await freePort(), await freePort()];
    prom = `http://127.0.0.1:${pp}`;
    compose = new Compose(cmd!, project, {
      PROMETHEUS_PORT: String(pp),
      CONTROLLER_PORT: String(cp),
      GRAFANA_PORT: String(gp),
      TRAFFIC_RATE: '10000',
      TRAFFIC_COUNT: String(count),
      VNFLAB_CONTROL_TOKEN: TOKEN,
      COMPOSE_PROJECT_NAME: project,
      VNFLAB_CHAIN: 'firewall',
      COMPOSE_PROFILES: 'firewall',
    });
    compose.ok(['up', '-d']);
    expect(projectContainers(project).some((c) => c.service === 'firewall')).toBe(true);
    const sent = 'sum(last_over_time(vnflab_packets_total{stage="traffic-gen",direction="out"}[10m]))';
    const received = 'sum(last_over_time(vnflab_packets_total{stage="backends",direction="out"}[10m]))';
    const denied = 'sum(last_over_time(vnflab_drops_total{stage="firewall",reason="acl_deny"}[10m]))';
    const [s, r, d] = await waitFor(
      'the firewall chain to finish and drain',
      async () => {
        const v = [await scalar(sent), await scalar(received), await scalar(denied)];
        return v[0] === count && v[1] + v[2] === count ? v : undefined;
      },
      240000,
      2000,
    );
    expect(s).toBe(count);
    // 128 of the 1,024 flows are denied: about an eighth
    expect(d / s).toBeGreaterThan(0.08);
    expect(d / s).toBeLessThan(0.17);
    expect(r).toBe(count - d);
    compose.ok(['down', '-v', '--remove-orphans']);
    expect(projectLeftovers(project)).toEqual([]);
  }, 600000);
});
