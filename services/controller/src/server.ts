// Starts the controller service: connects to the Docker engine, settles which compose project
// it manages, and serves the API. Used by `vnflab controller` and by `vnflab serve` with
// VNFLAB_STAGE=controller (the controller image).

import Docker from 'dockerode';
import type { FastifyInstance } from 'fastify';
import { silentLogger, type Logger, type ResolvedChain } from '@vnflab/core';
import { heartbeatFromEnv } from '@vnflab/runtime';
import { Controller } from './controller';
import { buildControllerApi } from './controller-api';
import { ControllerMetrics } from './controller-metrics';
import { inspectSelf, settleProject } from './self-container';

export interface ControllerServerOptions {
  chain: ResolvedChain;
  chainSource?: string;
  /** Compose project: needed on the host; in a container its own project label decides, and this must agree. */
  project?: string;
  /**
   * A Docker Swarm stack whose services to drive (swarm-backend.ts); a controller that runs as a
   * task of a stack drives its own stack without it (and one given must agree).
   */
  swarmStack?: string;
  token: string;
  port: number;
  host?: string;
  /** Docker socket path; default: DOCKER_HOST or /var/run/docker.sock. */
  socketPath?: string;
  docker?: Docker;
  readyTimeoutMs?: number;
  drainTimeoutS?: number;
  log?: Logger;
}

export interface RunningController {
  app: FastifyInstance;
  controller: Controller;
  url: string;
  close(): Promise<void>;
}

export class StartError extends Error {}

export async function startControllerServer(o: ControllerServerOptions): Promise<RunningController> {
  const docker = o.docker ?? (o.socketPath ? new Docker({ socketPath: o.socketPath }) : new Docker());
  try {
    await docker.ping();
  } catch (e) {
    throw new StartError(
      `the Docker engine does not answer${o.socketPath ? ` on ${o.socketPath}` : ''}: ${(e as Error).message} (mount /var/run/docker.sock into the controller, or start dockerd)`,
    );
  }
  const self = await inspectSelf(docker);
  const swarm = o.swarmStack !== undefined || self.stack !== undefined;
  let project: string;
  if (swarm) {
    if (o.swarmStack !== undefined && self.stack !== undefined && o.swarmStack !== self.stack)
      throw new StartError(
        `--swarm says "${o.swarmStack}" but the controller runs as a task of stack "${self.stack}"; it drives only its own stack`,
      );
    project = (o.swarmStack ?? self.stack)!;
  } else {
    const settled = settleProject(o.project, self);
    if ('error' in settled) throw new StartError(settled.error);
    project = settled.project;
  }
  const metrics = new ControllerMetrics();
  const controller = new Controller({
    docker,
    project,
    swarm,
    chain: o.chain,
    chainSource: o.chainSource,
    networks: self.networks,
    metrics,
    readyTimeoutMs: o.readyTimeoutMs,
    drainTimeoutS: o.drainTimeoutS,
    log: o.log ?? silentLogger,
  });
  const app = buildControllerApi({ controller, metrics, token: o.token });
  const host = o.host ?? '0.0.0.0';
  try {
    await app.listen({ port: o.port, host });
  } catch (e) {
    throw new StartError(
      `cannot serve the controller on ${host}:${o.port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  // the container's healthcheck: touched while the Docker engine answers, as /readyz reports
  const heartbeat = heartbeatFromEnv(() => controller.ping());
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return {
    app,
    controller,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    async close() {
      // a swap half done would leave two containers: let it finish first
      for (let i = 0; i < 600 && controller.lock.held; i++) await new Promise((r) => setTimeout(r, 100));
      heartbeat?.stop();
      await app.close();
    },
  };
}
