// Serves the process's one Prometheus registry on /metrics (and /healthz) for a local
// Prometheus, plus the control routes of the stages that have them (e.g. /lb), token-protected.

import type { ControlRoutes } from '@vnflab/core';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { createHttpApp, mountControlRoutes } from './http/http-app';

export async function startMetricsServer(
  registry: Registry,
  port: number,
  control: { mounts: ControlRoutes[]; token: string | undefined } = { mounts: [], token: undefined },
  host = '127.0.0.1',
): Promise<FastifyInstance> {
  const app = createHttpApp();
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  app.get('/healthz', async () => ({ ok: true }));
  for (const m of control.mounts) await mountControlRoutes(app, m, control.token);
  try {
    await app.listen({ port, host });
  } catch (e) {
    throw new Error(
      `cannot serve metrics on port ${port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return app;
}
