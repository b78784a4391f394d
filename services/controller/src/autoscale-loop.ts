// The autoscaler's loop against a Swarm and the chain's Redis: read the stage's lag, decide
// (autoscaler.ts), scale the stage's service (swarm-backend.ts) and wait until Swarm runs that many
// tasks before the next reading, so a replica still starting is never counted as missing. Every
// decision is logged, holds included, so the log shows why the count is what it is.

import Docker from 'dockerode';
import IORedis from 'ioredis';
import { hopStreamKey, ioredisTarget, silentLogger, type Logger } from '@vnflab/core';
import { Autoscaler, type AutoscalePolicy, type ScaleDecision } from './autoscaler';
import { readGroupLag } from './stream-lag';
import { SwarmBackend } from './swarm-backend';

/** The Docker engine on its socket (default: DOCKER_HOST or /var/run/docker.sock), once it answers. */
export async function connectDocker(socketPath?: string): Promise<Docker> {
  const docker = socketPath ? new Docker({ socketPath }) : new Docker();
  try {
    await docker.ping();
  } catch (e) {
    throw new Error(
      `the Docker engine does not answer${socketPath ? ` on ${socketPath}` : ''}: ${(e as Error).message}`,
    );
  }
  return docker;
}

export interface AutoscaleLoopOptions {
  docker: Docker;
  stack: string;
  /** The stage's name in the chain: its service is <stack>_<stage>, its input hop {<prefix>:hop:<stage>} (hopStreamKey). */
  stage: string;
  redisUrl: string;
  /** The run's key prefix on Redis (vnflab:<chain>:<run>). */
  prefix: string;
  policy: AutoscalePolicy;
  intervalMs: number;
  /** Longest wait for Swarm to run the new number of tasks. */
  convergeTimeoutMs?: number;
  log?: Logger;
  /** Each reading and what was decided (tests and the CLI's summary). */
  onDecision?: (d: ScaleDecision & { lag: number | null; before: number }) => void;
}

export interface AutoscaleLoop {
  stop(): Promise<void>;
  /** Resolves when the loop has ended (stopped, or failed: the error). */
  done: Promise<void>;
}

export function startAutoscaleLoop(o: AutoscaleLoopOptions): AutoscaleLoop {
  const log = o.log ?? silentLogger;
  const swarm = new SwarmBackend(o.docker, o.stack, log);
  const scaler = new Autoscaler(o.policy);
  const redis = new IORedis(ioredisTarget(o.redisUrl), { maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', () => undefined); // a reading that fails says why; ioredis reconnects by itself
  const stream = hopStreamKey(o.prefix, o.stage);
  let stopped = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number): Promise<void> =>
    new Promise((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });

  async function waitRunning(serviceId: string, n: number): Promise<void> {
    const until = Date.now() + (o.convergeTimeoutMs ?? 120000);
    while (!stopped && Date.now() < until) {
      if ((await swarm.runningTasks(serviceId)).length === n) return;
      await pause(500);
    }
    if (!stopped) log.warn({ stage: o.stage, replicas: n }, 'autoscale: Swarm did not reach the replica count in time');
  }

  async function step(): Promise<void> {
    const view = await swarm.view(o.stage);
    if (!view) {
      log.warn({ service: swarm.serviceName(o.stage) }, 'autoscale: no such service yet');
      return;
    }
    const g = await readGroupLag(redis, stream, o.stage);
    if (!g) {
      log.info({ stream }, 'autoscale: the hop has no consumer group yet (the chain has not started)');
      return;
    }
    const before = view.replicas ?? view.running_tasks;
    const d = scaler.decide(g.lag, before);
    o.onDecision?.({ ...d, lag: g.lag, before });
    log.info(
      {
        stage: o.stage,
        lag: g.lag,
        pending: g.pending,
        consumers: g.consumers,
        replicas: before,
        to: d.replicas,
        action: d.action,
        reason: d.reason,
      },
      `autoscale: ${d.action}`,
    );
    if (d.action === 'hold') return;
    await swarm.scale(o.stage, d.replicas);
    await waitRunning(view.id, d.replicas);
  }

  const done = (async () => {
    try {
      while (!stopped) {
        try {
          await step();
        } catch (e) {
          // one failed reading (Redis restarting, a concurrent service update) is logged; the next one may work
          log.warn({ stage: o.stage, err: (e as Error).message }, 'autoscale: reading failed');
        }
        if (!stopped) await pause(o.intervalMs);
      }
    } finally {
      redis.disconnect();
    }
  })();

  return {
    done,
    async stop() {
      stopped = true;
      wake?.();
      await done;
    },
  };
}
