// Serves the process's one Prometheus registry on /metrics (and /healthz) for a local
// Prometheus, plus the control routes of the stages that have them (e.g. /lb), token-protected.

import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

export interface ControlMount {
  prefix: string;
  plugin: unknown;
  options: Record<string, unknown>;
}

export async function startMetricsServer(registry: Registry, port: number, mounts: ControlMount[] = [], host = '0.0.0.0'): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  app.get('/healthz', async () => ({ ok: true }));
  for (const m of mounts) await app.register(m.plugin as FastifyPluginAsync<Record<string, unknown>>, { ...m.options, prefix: m.prefix });
  try {
    await app.listen({ port, host });
  } catch (e) {
    throw new Error(`cannot serve metrics on port ${port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return app;
}
