// A stage service's HTTP endpoints (fastify):
//   GET  /metrics   Prometheus text format
//   GET  /healthz   200 while the process is alive
//   GET  /readyz    200 when connected to Redis and processing, 503 otherwise
//   GET  /stats     ServiceStatsJson
//   POST /control   {"settings": {...}}: run-time settings through element.configure;
//                   needs `authorization: Bearer <VNFLAB_CONTROL_TOKEN>`
// plus the stage's own control routes (e.g. /lb), mounted with the same token.

import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  ScrapeCache,
  createMetricsRegistry,
  type AuthMessages,
  type CustomMetricSpec,
  type Element,
} from '@vnflab/core';
import { bearerAuth } from '../http/bearer-auth';
import { createHttpApp, mountControlRoutes } from '../http/http-app';
import type { StageService } from './stage-service';

export const ControlBody = Type.Object(
  {
    settings: Type.Record(Type.String(), Type.Unknown(), {
      description: 'stage settings to change now (the stage decides which may change at run time)',
    }),
  },
  { additionalProperties: false },
);

const CONTROL_AUTH: AuthMessages = {
  missing: 'needs the header "authorization: Bearer <VNFLAB_CONTROL_TOKEN>"',
  invalid: 'needs the header "authorization: Bearer <VNFLAB_CONTROL_TOKEN>"',
};

/** Counters of the bus itself, next to the stage's metrics. */
function busMetrics(svc: StageService): CustomMetricSpec[] {
  const s = svc.snapshot().bus;
  const l = { stage: svc.stats.stage, variant: svc.stats.variant };
  const one = (name: string, help: string, type: 'counter' | 'gauge', value: number): CustomMetricSpec => ({
    name,
    help,
    type,
    samples: [{ labels: l, value }],
  });
  return [
    one('vnflab_bus_connected', '1 while every Redis connection is ready', 'gauge', s.connected ? 1 : 0),
    one('vnflab_bus_reconnects_total', 'Redis reconnection attempts', 'counter', s.reconnects),
    one(
      'vnflab_bus_full_waits_total',
      'Sends that found the output hop at its bound and waited (policy block)',
      'counter',
      s.full_waits,
    ),
    one('vnflab_bus_wait_seconds_total', 'Time sends waited for room on the output hop', 'counter', s.wait_seconds),
    one(
      'vnflab_bus_claimed_batches_total',
      'Batches taken over from a consumer that stopped (XAUTOCLAIM)',
      'counter',
      s.claimed_batches,
    ),
    one(
      'vnflab_bus_malformed_entries_total',
      'Stream entries that were not a valid batch',
      'counter',
      s.malformed_entries,
    ),
    one('vnflab_bus_in_hand', 'Batches delivered to this instance and not yet committed', 'gauge', s.in_hand),
  ];
}

export async function startHttpApi(
  svc: StageService,
  opts: { port: number; host: string; token: string | undefined; scrapeCacheMs?: number },
): Promise<FastifyInstance> {
  const app = createHttpApp({ log: (err) => svc.log.error({ err: err.message }, 'request failed') });
  // closing the app closes the service behind it: its element, its consumer and the bus
  app.addHook('onClose', () => svc.close());
  const el = svc.element;
  const registry = createMetricsRegistry({
    stages: () => [svc.stats],
    e2e: () => {
      const h = (el as Element).e2e;
      return h ? [{ chain: svc.cfg.chain.name, variant: svc.stats.variant, hist: h }] : [];
    },
    extra: () => [...((el as Element).metrics?.() ?? []), ...busMetrics(svc)],
  });

  // one render per interval however often /metrics is scraped: the stage's batches share this event loop
  const scrapes = new ScrapeCache(registry, opts.scrapeCacheMs);
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', scrapes.contentType);
    return scrapes.exposition();
  });
  app.get('/healthz', async () => ({ ok: true, state: svc.state }));
  app.get('/readyz', async (_req, reply) => {
    const ready = svc.ready;
    const reason = ready ? undefined : !svc.bus.connected ? 'not connected to redis' : `state ${svc.state}`;
    reply.code(ready ? 200 : 503);
    return { ready, reason };
  });
  app.get('/stats', async () => svc.snapshot());

  await app.register(bearerAuth, {
    token: opts.token,
    messages: CONTROL_AUTH,
    routes: async (control) => {
      control.post('/control', { schema: { body: ControlBody } }, async (req) => {
        svc.configure(req.body.settings); // a ControlError answers with its status
        return { ok: true, variant: svc.stats.variant, details: el.describe?.() ?? null };
      });
    },
  });

  // the stage's own routes, writes behind the same token
  const mount = svc.def.controlRoutes?.(el);
  if (mount) await mountControlRoutes(app, mount, opts.token);

  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (e) {
    throw new Error(
      `cannot serve on ${opts.host}:${opts.port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return app;
}
