// Serves the process's one Prometheus registry on /metrics (and /healthz) for a local Prometheus.

import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export async function startMetricsServer(registry: Registry, port: number, host = '0.0.0.0'): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  app.get('/healthz', async () => ({ ok: true }));
  try {
    await app.listen({ port, host });
  } catch (e) {
    throw new Error(`cannot serve metrics on port ${port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return app;
}
