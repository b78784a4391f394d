// Serves the process's one Prometheus registry on /metrics (and /healthz) for a local
// Prometheus, plus the control routes of the stages that have them (e.g. /lb), token-protected.
// Scrapes share one render per `scrapeCacheMs` (ScrapeCache), so a /metrics flood cannot starve the chain
// running on this event loop.

import { SCRAPE_CACHE_MS, ScrapeCache, type ControlRoutes } from '@vnflab/core';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { createHttpApp, mountControlRoutes } from './http/http-app';

export async function startMetricsServer(
  registry: Registry,
  port: number,
  control: { mounts: ControlRoutes[]; token: string | undefined } = { mounts: [], token: undefined },
  host = '127.0.0.1',
  scrapeCacheMs = SCRAPE_CACHE_MS,
): Promise<FastifyInstance> {
  const app = createHttpApp();
  const scrapes = new ScrapeCache(registry, scrapeCacheMs);
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', scrapes.contentType);
    return scrapes.exposition();
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
