// The controller's HTTP API (fastify, TypeBox schemas). Only these operations exist; the Docker
// API behind them is never reachable through it.
//   GET  /chain    the chain's containers by stage, allowed variants, the swap in progress
//   POST /swap     {stage, variant, container?}: blue/green swap; Bearer token; 409 while one runs
//   GET  /healthz  the process is alive
//   GET  /readyz   the Docker engine answers
//   GET  /metrics  Prometheus text format

import { createHash, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Controller } from './controller';
import type { ControllerMetrics } from './controller-metrics';
import { ControllerError } from './errors';
import { typeboxValidator } from './typebox-validator';

const NAME = '^[a-z][a-z0-9-]{0,62}$';

export const SwapBody = Type.Object(
  {
    stage: Type.String({ pattern: NAME, description: 'the stage (its vnflab.stage label), e.g. nic' }),
    variant: Type.String({ pattern: NAME, description: 'an allowlisted variant, e.g. virtio' }),
    container: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$', description: 'swap only this container (name or id)' })),
  },
  { additionalProperties: false },
);
export type SwapBodyT = Static<typeof SwapBody>;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export interface ControllerApiOptions {
  controller: Controller;
  metrics: ControllerMetrics;
  /** Bearer token for POST /swap; must not be empty (writes are never open). */
  token: string;
}

export function buildControllerApi(o: ControllerApiOptions): FastifyInstance {
  if (typeof o.token !== 'string' || o.token.length === 0) throw new Error('the controller needs a non-empty control token; swaps are never open');
  const want = digest(o.token);
  const { controller, metrics } = o;
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(typeboxValidator);

  // reads are open; a write needs the token, checked before its body is looked at
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) {
      reply.code(401).header('www-authenticate', 'Bearer');
      return reply.send({ error: 'unauthorized', message: 'a swap changes the chain and needs the header "authorization: Bearer <VNFLAB_CONTROL_TOKEN>"' });
    }
    if (!timingSafeEqual(digest(m[1]), want)) {
      reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"');
      return reply.send({ error: 'unauthorized', message: 'the bearer token is not this controller\'s VNFLAB_CONTROL_TOKEN' });
    }
  });

  app.setErrorHandler((err: FastifyError | ControllerError, _req, reply) => {
    if (err instanceof ControllerError) return reply.code(err.status).send({ error: err.code, message: err.message });
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: 'bad_request', message: err.message });
    // Docker unreachable and the like: say so, without a stack
    const docker = /ENOENT|ECONNREFUSED|EACCES|socket/i.test(err.message);
    return reply.code(docker ? 503 : 500).send({ error: docker ? 'docker_unavailable' : 'internal', message: docker ? `the Docker engine does not answer: ${err.message}` : err.message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url} (routes: GET /chain, POST /swap, GET /healthz, /readyz, /metrics)` }));

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const ok = await controller.ping();
    reply.code(ok ? 200 : 503);
    return { ready: ok, project: controller.project, reason: ok ? undefined : 'the Docker engine does not answer' };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/chain', async () => controller.chainView());
  app.post<{ Body: SwapBodyT }>('/swap', { schema: { body: SwapBody } }, async (req) => controller.swap(req.body));
  return app;
}
