// The controller's HTTP API (fastify, TypeBox schemas). Only these operations exist; the Docker
// API behind them is never reachable through it.
//   GET  /chain    the chain's containers by stage, allowed variants, the swap in progress
//   GET  /stats/:stage  each running container of the stage: its /stats
//   POST /swap     {stage, variant, container?}: blue/green swap; Bearer token; 409 while one runs
//   GET  /traffic  the generator's traffic (rate, size, flows, running; offered, sent, not sent)
//   PUT  /traffic  {rate?, size?, flows?, running?, end?}: relayed to the generator; Bearer token
//   GET  /healthz  the process is alive
//   GET  /readyz   the Docker engine answers
//   GET  /metrics  Prometheus text format

import { Type, type Static } from '@sinclair/typebox';
import type { AuthMessages } from '@vnflab/core';
import { bearerAuth, createHttpApp, type HttpApp } from '@vnflab/runtime';
import type { Controller } from './controller';
import type { ControllerMetrics } from './controller-metrics';

const NAME = '^[a-z][a-z0-9-]{0,62}$';

export const SwapBody = Type.Object(
  {
    stage: Type.String({ pattern: NAME, description: 'the stage (its vnflab.stage label), e.g. nic' }),
    variant: Type.String({ pattern: NAME, description: 'an allowlisted variant, e.g. virtio' }),
    container: Type.Optional(
      Type.String({
        pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$',
        description: 'swap only this container (name or id)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SwapBodyT = Static<typeof SwapBody>;

/** PUT /traffic's body, shaped here only so far that nothing but these fields is relayed. */
export const TrafficBody = Type.Object(
  {
    rate: Type.Optional(Type.Number()),
    size: Type.Optional(Type.Union([Type.Integer(), Type.Literal('imix')])),
    flows: Type.Optional(Type.Integer()),
    flush_ms: Type.Optional(Type.Number()),
    running: Type.Optional(Type.Boolean()),
    end: Type.Optional(Type.Literal(true)),
  },
  { additionalProperties: false },
);

const SWAP_AUTH: AuthMessages = {
  missing: 'a swap changes the chain and needs the header "authorization: Bearer <VNFLAB_CONTROL_TOKEN>"',
  invalid: "the bearer token is not this controller's VNFLAB_CONTROL_TOKEN",
};

/** Docker unreachable and the like: say so, without a stack. */
function dockerUnavailable(err: Error) {
  if (!/ENOENT|ECONNREFUSED|EACCES|socket/i.test(err.message)) return undefined;
  return {
    status: 503,
    body: { error: 'docker_unavailable', message: `the Docker engine does not answer: ${err.message}` },
  };
}

export interface ControllerApiOptions {
  controller: Controller;
  metrics: ControllerMetrics;
  /** Bearer token for POST /swap; must not be empty (writes are never open). */
  token: string;
}

export function buildControllerApi(o: ControllerApiOptions): HttpApp {
  if (typeof o.token !== 'string' || o.token.length === 0)
    throw new Error('the controller needs a non-empty control token; swaps are never open');
  const { controller, metrics } = o;
  // a ControllerError answers with its status and code (packages/runtime/src/http/error-handler.ts)
  const app = createHttpApp({ serverError: dockerUnavailable });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      error: 'not_found',
      message: `no route ${req.method} ${req.url} (routes: GET /chain, GET /stats/:stage, POST /swap, GET|PUT /traffic, GET /healthz, /readyz, /metrics)`,
    }),
  );

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const ok = await controller.ping();
    reply.code(ok ? 200 : 503);
    return { ready: ok, project: controller.project, reason: ok ? undefined : 'the Docker engine does not answer' };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.scrapes.contentType);
    return metrics.scrapes.exposition();
  });
  // reads are open; a swap needs the token, checked before its body is looked at
  app.register(bearerAuth, {
    token: o.token,
    messages: SWAP_AUTH,
    routes: async (w) => {
      w.get('/chain', async () => controller.chainView());
      w.get<{ Params: { stage: string } }>(
        '/stats/:stage',
        { schema: { params: Type.Object({ stage: Type.String({ pattern: NAME }) }) } },
        async (req) => controller.stageStats(req.params.stage),
      );
      w.post('/swap', { schema: { body: SwapBody } }, async (req) => controller.swap(req.body));
      w.get('/traffic', async () => controller.traffic());
      // the body is the generator's to check (its own schema answers 400 through the relay)
      w.put('/traffic', { schema: { body: TrafficBody } }, async (req) =>
        controller.traffic({ body: req.body, token: o.token }),
      );
    },
  });
  return app;
}
