// The Swarm benchmark: the default chain as a stack on this engine (a single-node swarm made for
// it and left afterwards, or the swarm the engine is in), the generator unpaced, and the chain's
// packets/s at the backends with kernel-path at 1 and at 3 replicas. Each window starts once the
// replicas are healthy and have run a warm-up; packets/s is the backends' received count (their
// /stats) over the window; the first count is measured again last, so the spread between its two
// windows shows the machine's noise. On one host the replicas share its cores with every other stage and
// Redis, so more replicas help only while kernel-path is the stage that limits the chain.

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { spawnSync } from 'node:child_process';
import { SwarmStack, swarmState } from '../swarm/swarm-stack';

export interface SwarmBenchOptions {
  /** The repository root (deploy/swarm/ is under it). */
  root: string;
  quick?: boolean;
  log?: (m: string) => void;
  /** kernel-path replica counts to measure, in order (default 1, 3, then 1 again: the spread at 1 is the noise). */
  replicas?: number[];
}

export interface SwarmBenchPoint {
  replicas: number;
  packets_per_second: number;
  window_s: number;
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch {
      // not answering yet
    }
    if (Date.now() > end) throw new Error(`swarm bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function swarmBench(o: SwarmBenchOptions): Promise<{
  title: string;
  rows: string[][];
  data: { skipped?: string; points?: SwarmBenchPoint[] };
}> {
  const title = 'Docker Swarm: the chain packets/s with kernel-path at 1 and 3 replicas';
  const log = o.log ?? (() => undefined);
  const skip = (why: string) => ({ title, rows: [['swarm', 'skipped', why]], data: { skipped: why } });
  if (swarmState() === undefined) return skip('no Docker engine answers');
  if (spawnSync('docker', ['image', 'inspect', 'vnflab/kernel-path:0.1.0'], { stdio: 'ignore' }).status !== 0)
    return skip('images not built (bash infra/docker/build-offline.sh)');
  const swarm = new SwarmStack({
    root: o.root,
    stack: `vnflabbenchswarm${process.pid}`,
    env: {
      VNFLAB_CONTROL_TOKEN: randomBytes(16).toString('hex'),
      TRAFFIC_RATE: '0',
      TRAFFIC_COUNT: '0',
      PROMETHEUS_PORT: String(await freePort()),
    },
    log,
  });
  const windowS = o.quick ? 5 : 15;
  const warmS = o.quick ? 3 : 5;
  const received = async (): Promise<number> =>
    (await swarm.stats('backends')).reduce((a, s) => a + Number((s.stats as { packets_out: number }).packets_out), 0);
  const points: SwarmBenchPoint[] = [];
  try {
    swarm.init();
    swarm.deploy();
    await until('packets at the backends', async () => ((await received()) > 0 ? true : undefined), 300000);
    for (const n of o.replicas ?? [1, 3, 1]) {
      swarm.scale('kernel-path', n);
      await until(
        `${n} healthy kernel-path task(s)`,
        async () => {
          const cs = swarm.containers('kernel-path');
          return cs.length === n && cs.every((c) => c.health === 'healthy') ? true : undefined;
        },
        300000,
      );
      await new Promise((r) => setTimeout(r, warmS * 1e3));
      const [r0, t0] = [await received(), performance.now()];
      await new Promise((r) => setTimeout(r, windowS * 1e3));
      const [r1, t1] = [await received(), performance.now()];
      const s = (t1 - t0) / 1e3;
      points.push({ replicas: n, packets_per_second: (r1 - r0) / s, window_s: s });
      log(`kernel-path x${n}: ${((r1 - r0) / s).toFixed(0)} packets/s at the backends over ${s.toFixed(1)} s`);
    }
  } finally {
    await swarm.remove();
  }
  const base = points[0]?.packets_per_second ?? 0;
  return {
    title,
    rows: points.map((p) => [
      `kernel-path replicas ${p.replicas}`,
      `${Math.round(p.packets_per_second).toLocaleString('en')} packets/s`,
      p === points[0]
        ? 'unpaced generator, backends /stats'
        : `${(p.packets_per_second / base).toFixed(2)}x the first row`,
    ]),
    data: { points },
  };
}
