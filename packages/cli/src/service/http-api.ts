// A stage service's HTTP endpoints (fastify):
//   GET  /metrics   Prometheus text format
//   GET  /healthz   200 while the process is alive
//   GET  /readyz    200 when connected to Redis and processing, 503 otherwise
//   GET  /stats     ServiceStatsJson
//   POST /control   {"settings": {...}}: run-time settings through element.configure;
//                   needs `authorization: Bearer <VNFLAB_CONTROL_TOKEN>`
// plus the stage's own control routes (e.g. /lb), mounted with the same token.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { createMetricsRegistry, type CustomMetricSpec, type Element, type Source } from '@vnflab/core';
import { ControlError, type StageService } from './stage-service';

export const ControlBody = Type.Object(
  {
    settings: Type.Record(Type.String(), Type.Unknown(), { description: 'stage settings to change now (the stage decides which may change at run time)' }),
  },
  { additionalProperties: false },
);
type ControlBodyT = Static<typeof ControlBody>;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Counters of the bus itself, next to the stage's metrics. */
function busMetrics(svc: StageService): CustomMetricSpec[] {
  const s = svc.snapshot().bus;
  const l = { stage: svc.stats.stage, variant: svc.stats.variant };
  const one = (name: string, help: string, type: 'counter' | 'gauge', value: number): CustomMetricSpec => ({ name, help, type, samples: [{ labels: l, value }] });
  return [
    one('vnflab_bus_connected', '1 while every Redis connection is ready', 'gauge', s.connected ? 1 : 0),
    one('vnflab_bus_reconnects_total', 'Redis reconnection attempts', 'counter', s.reconnects),
    one('vnflab_bus_full_waits_total', 'Sends that found the output hop at its bound and waited (policy block)', 'counter', s.full_waits),
    one('vnflab_bus_wait_seconds_total', 'Time sends waited for room on the output hop', 'counter', s.wait_seconds),
    one('vnflab_bus_claimed_batches_total', 'Batches taken over from a consumer that stopped (XAUTOCLAIM)', 'counter', s.claimed_batches),
    one('vnflab_bus_malformed_entries_total', 'Stream entries that were not a valid batch', 'counter', s.malformed_entries),
    one('vnflab_bus_in_hand', 'Batches delivered to this instance and not yet committed', 'gauge', s.in_hand),
  ];
}

export async function startHttpApi(svc: StageService, opts: { port: number; host: string; token: string | undefined }): Promise<FastifyInstance> {
  // Ajv must reject unknown keys rather than silently remove them
  const app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false, coerceTypes: false } } });
  const el = svc.element;
  const registry = createMetricsRegistry({
    stages: () => [svc.stats],
    e2e: () => {
      const h = (el as Element).e2e;
      return h ? [{ chain: svc.cfg.chain.name, variant: svc.stats.variant, hist: h }] : [];
    },
    extra: () => [...((el as Element).metrics?.() ?? []), ...busMetrics(svc)],
  });
  const want = opts.token ? digest(opts.token) : undefined;

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  app.get('/healthz', async () => ({ ok: true, state: svc.state }));
  app.get('/readyz', async (_req, reply) => {
    const ready = svc.ready;
    const reason = ready ? undefined : !svc.bus.connected ? 'not connected to redis' : `state ${svc.state}`;
    reply.code(ready ? 200 : 503);
    return { ready, reason };
  });
  app.get('/stats', async () => svc.snapshot());

  app.post<{ Body: ControlBodyT }>(
    '/control',
    {
      schema: { body: ControlBody },
      // the token is checked before the body is looked at
      onRequest: async (req, reply) => {
        if (!want) {
          reply.code(403);
          return reply.send({ error: 'control_disabled', message: 'run-time control is off: start the service with VNFLAB_CONTROL_TOKEN set' });
        }
        const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
        if (!m || !timingSafeEqual(digest(m[1]), want)) {
          reply.code(401).header('www-authenticate', 'Bearer');
          return reply.send({ error: 'unauthorized', message: 'needs the header "authorization: Bearer <VNFLAB_CONTROL_TOKEN>"' });
        }
      },
    },
    async (req, reply) => {
      try {
        svc.configure(req.body.settings);
      } catch (e) {
        if (!(e instanceof ControlError)) throw e;
        reply.code(e.status);
        return { error: e.status === 409 ? 'not_configurable' : 'bad_settings', message: e.message };
      }
      return { ok: true, variant: svc.stats.variant, details: el.describe?.() ?? null };
    },
  );
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    const code = err.validation ? 400 : (err.statusCode ?? 500);
    if (code >= 500) svc.log.error({ err: err.message }, 'request failed');
    reply.code(code).send({ error: code === 400 ? 'bad_request' : 'error', message: err.message });
  });

  // the stage's own routes, writes behind the same token (a random one when none is set: never open)
  const mount = svc.def.controlRoutes?.(el as Element | Source, opts.token ?? randomBytes(16).toString('hex'));
  if (mount) await app.register(mount.plugin as FastifyPluginAsync<Record<string, unknown>>, { ...mount.options, prefix: mount.prefix });

  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (e) {
    throw new Error(`cannot serve on ${opts.host}:${opts.port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return app;
}
