// The chain on a real Docker Swarm (this engine, as a single-node swarm the test creates and
// leaves, or the swarm it is already in): `docker stack deploy` of deploy/swarm/stack.yml with the
// offline images, every service healthy, traffic through every stage to the backends, Prometheus
// scraping every task; a start-first variant update of nic by `docker service update`, another by
// the controller (POST /swap with its token; 409 while it runs), kernel-path scaled 1 -> 3 and, by
// `vnflab autoscale`'s loop, up on a raised rate and down on a lowered one; then the generator
// stops and the accounting closes from the run's ledgers on Redis: every packet sent was
// received or dropped with a reason, and every hop is empty. `docker stack rm` and `docker swarm
// leave --force` leave the engine as found, also when a step fails.
// The stage images run under a tag of this test's own (test/helpers/stage-images.ts), so a
// neighbour rebuilding vnflab/<stage>:0.1.0 mid-run changes nothing under the stack.
// Skipped, with the reason, where no Docker engine can run or the engine is in a swarm this test
// did not create (it neither deploys into nor leaves someone else's swarm).

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { hopStreamKey, loadChainFile, silentLogger } from '@vnflab/core';
import { createRegistry } from '@vnflab/cli';
import { readGroupLag, startControllerServer, type RunningController, type SwapReport } from '@vnflab/controller';
import { SwarmStack, dockerCli, swarmState, type LedgerCounts } from '@vnflab/lab';
import { ROOT, vnflabAsync } from './helpers/cli';
import { ensureDockerEngine } from './helpers/compose';
import { freePort, waitFor } from './helpers/ports';
import { StageImages } from './helpers/stage-images';

const engine = ensureDockerEngine();
const state = engine.ok ? swarmState() : undefined;
const why = !engine.ok
  ? engine.why
  : state === undefined
    ? 'docker info does not answer'
    : state !== 'inactive'
      ? `the engine is in a swarm already (state ${state}) that this test did not create: it neither deploys there nor leaves it`
      : undefined;
if (why) process.stderr.write(`swarm test skipped: ${why}\n`);
const maybe = why ? describe.skip : describe;

const STACK = `vnflabswarm${process.pid}`;
const TOKEN = randomBytes(16).toString('hex');
const RATE = 2000; // packets/s while the services change: low, so the 2-core machine keeps up
const CHAIN = loadChainFile(join(ROOT, 'chains/default.yaml'), createRegistry());
const STAGES = CHAIN.stages.map((s) => s.name);
const PREFIX = `vnflab:${CHAIN.name}:main`;
const STAGE_IMAGES = [...new Set(CHAIN.stages.map((s) => s.stage))];
// this run's own tag of the stage images (the stack file's image: lines read VNFLAB_VERSION)
const IMAGE_TAG = `swarmtest-${process.pid}-${randomBytes(3).toString('hex')}`;
// VNFLAB_TEST_IMAGE_TAG: copy the images from that tag (build-offline.sh with VNFLAB_VERSION),
// never building; by default from 0.1.0, building when those are older than this checkout
const PREBUILT = process.env.VNFLAB_TEST_IMAGE_TAG || undefined;

maybe('the chain on a Docker Swarm', () => {
  let swarm: SwarmStack;
  let images: StageImages | undefined;
  let prom: string;
  let redis: IORedis;
  let ctl: RunningController | undefined;
  const log = (m: string): void => void process.stderr.write(`swarm: ${m}\n`);

  async function q(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const j = (await (await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
      status: string;
      error?: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (j.status !== 'success') throw new Error(`${expr}: ${j.error}`);
    return j.data.result;
  }
  /** The generator's run-time rate (POST /control with the token). */
  async function setRate(rate: number): Promise<void> {
    const [addr] = swarm.addresses('traffic-gen');
    const r = await fetch(`http://${addr}:8080/control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ settings: { rate } }),
    });
    expect({ rate, status: r.status, body: r.status === 200 ? null : await r.text() }).toEqual({
      rate,
      status: 200,
      body: null,
    });
  }
  /** Packets the backends have received, from their /stats. */
  async function received(): Promise<number> {
    const all = await swarm.stats('backends');
    return all.reduce((a, s) => a + Number((s.stats as { packets_out: number }).packets_out), 0);
  }
  const converged = (name: string, n: number): Promise<true> =>
    waitFor(
      `${name} at ${n} healthy task(s)`,
      async () => {
        const cs = swarm.containers(name);
        const r = swarm.replicas(name);
        return cs.length === n && r.running === n && cs.every((c) => c.health === 'healthy') ? true : undefined;
      },
      180000,
      1000,
    );

  /** Why this run does nothing after all: another process made the engine a swarm before our init. */
  let raced: string | undefined;
  /** A test that does nothing, saying why, when the swarm was not ours to use. */
  const step = (name: string, fn: () => Promise<void>, timeoutMs: number): void =>
    test(
      name,
      async () => {
        if (raced) return log(`skipped: ${raced}`);
        await fn();
      },
      timeoutMs,
    );

  beforeAll(async () => {
    // Swarm runs the images the node has (no registry), so they must be this checkout's, and
    // under a tag nobody else rebuilds (test/helpers/stage-images.ts)
    images = new StageImages(ROOT, STAGE_IMAGES, IMAGE_TAG, { from: PREBUILT, build: !PREBUILT, log });
    images.prepare();
    const pp = await freePort();
    prom = `http://127.0.0.1:${pp}`;
    swarm = new SwarmStack({
      root: ROOT,
      stack: STACK,
      env: {
        VNFLAB_CONTROL_TOKEN: TOKEN,
        TRAFFIC_RATE: String(RATE),
        TRAFFIC_COUNT: '0',
        PROMETHEUS_PORT: String(pp),
        VNFLAB_VERSION: IMAGE_TAG,
      },
      log,
    });
    if (!swarm.init(false)) {
      raced = 'another process made the engine a swarm manager just before this test: not deploying there';
      log(raced);
      return;
    }
    const t0 = Date.now();
    swarm.deploy();
    await waitFor(
      'packets at the backends',
      async () => {
        try {
          return swarm.addresses('backends').length && (await received()) > 0 ? true : undefined;
        } catch {
          return undefined; // not listening yet
        }
      },
      600000,
      1000,
    );
    log(`docker stack deploy to the first packet at the backends: ${((Date.now() - t0) / 1e3).toFixed(1)} s`);
    const [ra] = swarm.addresses('redis');
    redis = new IORedis(`redis://${ra}:6379`, { maxRetriesPerRequest: 2 });
  }, 2400000);

  // runs also when beforeAll or a test failed: the stack removed, the swarm left, our image tags dropped
  afterAll(async () => {
    try {
      await ctl?.close();
      redis?.disconnect();
    } finally {
      await swarm?.remove();
      images?.remove();
    }
    // the engine as found: no stack of ours, and not in a swarm (it was in none before)
    const left = spawnSync('docker', ['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${STACK}`], {
      encoding: 'utf8',
    }).stdout.trim();
    expect({ left, swarm: raced ? 'not ours' : swarmState() }).toEqual({
      left: '',
      swarm: raced ? 'not ours' : 'inactive',
    });
  }, 300000);

  step(
    'every service converges healthy, one task each',
    async () => {
      for (const s of ['redis', ...STAGES, 'prometheus']) await converged(s, 1);
      expect(swarm.replicas('grafana').desired).toBe(0); // the offline override: no Grafana image here
    },
    300000,
  );

  step(
    'traffic reaches the backends through every stage, on the overlay network',
    async () => {
      const before = await received();
      await waitFor(
        'more packets at the backends',
        async () => ((await received()) > before + RATE ? true : undefined),
        60000,
        500,
      );
      for (const s of STAGES.slice(1)) {
        const [st] = await swarm.stats(s);
        expect({ stage: s, in: Number((st.stats as { packets_in: number }).packets_in) > 0 }).toEqual({
          stage: s,
          in: true,
        });
      }
    },
    120000,
  );

  step(
    'Prometheus scrapes every task of every stage (tasks.<service> by DNS)',
    async () => {
      const up = await waitFor(
        'every target up',
        async () => {
          const r = await q('up{job="vnflab"}');
          return STAGES.every((s) => r.some((x) => x.metric.service === s && x.value[1] === '1')) ? r : undefined;
        },
        90000,
        1000,
      );
      expect(up.map((r) => r.metric.service).sort()).toEqual([...STAGES].sort());
    },
    120000,
  );

  step(
    'a start-first variant update of nic (docker service update) swaps it under traffic',
    async () => {
      const [old] = swarm.containers('nic');
      const t0 = Date.now();
      // --detach: the test watches convergence itself (the CLI's progress needs a terminal)
      dockerCli([
        'service',
        'update',
        '--detach',
        '--env-add',
        'VNFLAB_VARIANT=virtio',
        '--update-order',
        'start-first',
        swarm.service('nic'),
      ]);
      await waitFor(
        'the virtio nic alone, healthy',
        async () => {
          const cs = swarm.containers('nic');
          if (cs.length !== 1 || cs[0].id === old.id || cs[0].health !== 'healthy') return undefined;
          const [st] = await swarm.stats('nic');
          return (st.service as { variant: string }).variant === 'virtio' ? true : undefined;
        },
        180000,
        1000,
      );
      log(`docker service update nic -> virtio (start-first) converged in ${((Date.now() - t0) / 1e3).toFixed(1)} s`);
    },
    240000,
  );

  step(
    'the controller swaps nic back through the Swarm: token required, 409 while in flight, allowlist',
    async () => {
      ctl = await startControllerServer({
        chain: CHAIN,
        chainSource: 'chains/default.yaml',
        swarmStack: STACK,
        token: TOKEN,
        port: 0,
        host: '127.0.0.1',
        readyTimeoutMs: 180000,
        log: silentLogger,
      });
      const post = (body: unknown, token: string | null = TOKEN): Promise<Response> =>
        fetch(`${ctl!.url}/swap`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        });
      expect((await post({ stage: 'nic', variant: 'passthrough' }, null)).status).toBe(401);
      expect((await post({ stage: 'nic', variant: 'passthrough' }, 'wrong-token-0000')).status).toBe(401);
      expect((await post({ stage: 'backends', variant: 'sink' })).status).toBe(403);
      const view = (await (await fetch(`${ctl.url}/chain`)).json()) as {
        stages: { name: string; service: { variant: string; replicas: number } | null }[];
      };
      expect(view.stages.find((s) => s.name === 'nic')?.service).toMatchObject({ variant: 'virtio', replicas: 1 });
      // per-container /stats is compose's; on a Swarm the controller says so instead of a bare 404
      expect((await fetch(`${ctl.url}/stats/nic`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(501);
      const [old] = swarm.containers('nic');
      const first = post({ stage: 'nic', variant: 'passthrough' });
      await waitFor('the swap in flight', async () => (ctl!.controller.lock.held ? true : undefined), 10000, 20);
      const second = await post({ stage: 'kernel-path', variant: 'bypass' });
      expect(second.status).toBe(409);
      const r = await first;
      const report = (await r.json()) as SwapReport;
      expect({ status: r.status, service: report.service?.service }).toEqual({
        status: 200,
        service: swarm.service('nic'),
      });
      expect(report.service!.old_variant).toBe('virtio');
      expect(report.service!.tasks_after).toHaveLength(1);
      expect(report.service!.tasks_before).not.toEqual(report.service!.tasks_after);
      // the old task drained on SIGTERM and exited 0
      expect(report.service!.old_exit_codes).toEqual([0]);
      expect(report.accounting.all_drained_gracefully).toBe(true);
      const [now] = swarm.containers('nic');
      expect(now.id).not.toBe(old.id);
      const [st] = await swarm.stats('nic');
      expect((st.service as { variant: string }).variant).toBe('passthrough');
      log(`controller swap nic -> passthrough on Swarm: ${report.duration_ms.toFixed(0)} ms`);
    },
    300000,
  );

  step(
    'kernel-path scales 1 -> 3: three consumers share its group, Prometheus scrapes each task',
    async () => {
      swarm.scale('kernel-path', 3);
      await converged('kernel-path', 3);
      const g = await waitFor(
        'three consumers in the group',
        async () => {
          const lag = await readGroupLag(redis, hopStreamKey(PREFIX, 'kernel-path'), 'kernel-path');
          return lag && lag.consumers >= 3 ? lag : undefined;
        },
        60000,
        500,
      );
      expect(g.consumers).toBeGreaterThanOrEqual(3);
      await waitFor(
        'three kernel-path targets up, each with traffic',
        async () => {
          const r = await q('rate(vnflab_packets_total{stage="kernel-path",direction="in"}[10s]) > 0');
          return new Set(r.map((x) => x.metric.instance)).size === 3 ? true : undefined;
        },
        90000,
        1000,
      );
      swarm.scale('kernel-path', 1);
      await converged('kernel-path', 1);
    },
    300000,
  );

  step(
    'vnflab autoscale: kernel-path replicas rise on a raised rate and fall on a lowered one',
    async () => {
      // the command as a user runs it on a manager; Redis through the task's docker_gwbridge address
      const auto = vnflabAsync([
        'autoscale',
        'kernel-path',
        '--min',
        '1',
        '--max',
        '3',
        '--lag',
        '4',
        '--interval',
        '1',
        '--stack',
        STACK,
        '--bus',
        `redis://${swarm.addresses('redis')[0]}:6379`,
      ]);
      let out = '';
      auto.child.stdout!.on('data', (d) => (out += d));
      const decisions = (): { action: string; lag: number; replicas: number; to: number }[] =>
        out
          .split('\n')
          .filter((l) => l.includes('"action"'))
          .map((l) => JSON.parse(l) as { action: string; lag: number; replicas: number; to: number });
      try {
        await setRate(1_000_000); // as fast as the chain takes: the hop into kernel-path fills
        await waitFor(
          'kernel-path scaled up',
          async () => (swarm.replicas('kernel-path').desired >= 2 ? true : undefined),
          180000,
          1000,
        );
        // a few more readings at full rate: a third replica if the lag stays high with two
        const seen = decisions().length;
        await waitFor(
          'four more readings',
          async () => (decisions().length >= seen + 4 ? true : undefined),
          180000,
          500,
        );
        // the most the loop set (with two replicas the lag may already read 0 and one go again)
        const peak = Math.max(...decisions().map((d) => d.to));
        log(`autoscale: up to ${peak} kernel-path replicas at full rate, ${swarm.replicas('kernel-path').desired} now`);
        await setRate(200);
        await waitFor(
          'kernel-path scaled down to 1',
          async () => (swarm.replicas('kernel-path').desired === 1 ? true : undefined),
          180000,
          1000,
        );
        await converged('kernel-path', 1);
      } finally {
        auto.child.kill('SIGTERM');
      }
      const r = await auto.done;
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      const ds = decisions();
      const ups = ds.filter((d) => d.action === 'up');
      const downs = ds.filter((d) => d.action === 'down');
      log(`autoscale decisions: ${ds.map((d) => `${d.action}(lag ${d.lag}, ${d.replicas}->${d.to})`).join(' ')}`);
      expect(ups.length).toBeGreaterThanOrEqual(1);
      expect(downs.length).toBe(ups.length); // back to --min 1
      for (const d of ups) expect(d.lag).toBeGreaterThan(4);
      for (const d of downs) expect(d.lag).toBeLessThan(1);
    },
    420000,
  );

  step(
    'the generator stops; the ledgers close: sent = received + drops, every hop empty',
    async () => {
      swarm.scale('traffic-gen', 0); // SIGTERM: the generator commits what it sent and exits
      await waitFor(
        'the generator gone',
        async () => (swarm.containers('traffic-gen').length === 0 ? true : undefined),
        60000,
        500,
      );
      const call = (args: string[]): Promise<unknown> => redis.call(args[0], ...args.slice(1));
      const sum = (ls: LedgerCounts[], f: (l: LedgerCounts) => number): number => ls.reduce((a, l) => a + f(l), 0);
      const closed = await waitFor(
        'every hop drained',
        async () => {
          for (const s of STAGES.slice(1)) {
            const g = await readGroupLag(redis, hopStreamKey(PREFIX, s), s);
            if (!g || g.lag !== 0 || g.pending !== 0) return undefined;
          }
          const ls = await swarm.ledgers(call, PREFIX);
          const sent = sum(
            ls.filter((l) => l.instance.startsWith('traffic-gen')),
            (l) => l.packets_out,
          );
          const recv = sum(
            ls.filter((l) => l.instance.startsWith('backends')),
            (l) => l.packets_out,
          );
          const drops = sum(ls, (l) => Object.values(l.drops).reduce((a, b) => a + b, 0));
          return sent > 0 && sent === recv + drops ? { sent, recv, drops, ls } : undefined;
        },
        120000,
        1000,
      );
      log(
        `accounting: sent ${closed.sent} = received ${closed.recv} + dropped ${closed.drops} (${closed.ls.length} ledgers)`,
      );
      // the nic swaps and the kernel-path replicas each left a ledger: instances came and went
      expect(closed.ls.filter((l) => l.instance.startsWith('nic-')).length).toBeGreaterThanOrEqual(3);
      expect(closed.ls.filter((l) => l.instance.startsWith('kernel-path-')).length).toBeGreaterThanOrEqual(3);
      expect(closed.drops).toBe(0);
    },
    240000,
  );
});
