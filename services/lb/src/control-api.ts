// The lb control API, a fastify plugin: read the pool, and change it at run time (add, remove,
// drain, weight, down/up, table size). Every change answers with what moved (table entries and
// tracked flows) next to the ideal. Writes need `authorization: Bearer <token>`. Requests are
// validated with TypeBox, and every error says which field was wrong and why.
//
//   app.register(lbControlPlugin, { prefix: '/lb', lb, token })

import { createHash, timingSafeEqual } from 'node:crypto';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { LbError } from './control-operations';
import type { LoadBalancer } from './lb';
import { BackendSchema, MAX_WEIGHT, formatErrors } from './settings';
import { MAX_TABLE_SIZE, MIN_TABLE_SIZE } from './prime';

export interface LbControlOptions {
  lb: LoadBalancer;
  /** Bearer token every write must carry; must not be empty. */
  token: string;
}

export const VipParams = Type.Object({ vip: Type.String({ minLength: 1 }) });
export const BackendParams = Type.Object({ vip: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }) });
export const AddBackendBody = BackendSchema;
export const WeightBody = Type.Object(
  { weight: Type.Integer({ minimum: 0, maximum: MAX_WEIGHT, description: '0 drains the backend' }) },
  { additionalProperties: false },
);
export const TableSizeBody = Type.Object(
  { table_size: Type.Integer({ minimum: MIN_TABLE_SIZE, maximum: MAX_TABLE_SIZE, description: 'a prime, e.g. 65537' }) },
  { additionalProperties: false },
);

type VipP = Static<typeof VipParams>;
type BackendP = Static<typeof BackendParams>;

/** `/weight` -> `body.weight` */
function where(part: string, path: string): string {
  const keys = path.split('/').filter(Boolean);
  return [part, ...keys].join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

/** Validates with TypeBox instead of Ajv, so unknown keys are rejected (not silently removed) and messages name the field. */
function typeboxValidator({ schema, httpPart }: { schema: unknown; httpPart?: string }) {
  const check = TypeCompiler.Compile(schema as TSchema);
  const part = httpPart ?? 'body';
  return (data: unknown): { value?: unknown; error?: Error } => {
    if (check.Check(data)) return { value: data };
    if (data === null || data === undefined) return { error: new Error(`${part}: a JSON ${part} is required`) };
    return { error: new Error(formatErrors(check.Errors(data), (p) => where(part, p), 5).join('; ')) };
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

const STATUS_NAMES: Record<number, string> = { 400: 'bad_request', 401: 'unauthorized', 404: 'not_found', 409: 'conflict' };

export const lbControlPlugin: FastifyPluginAsync<LbControlOptions> = async (app, opts) => {
  const { lb } = opts;
  if (!lb) throw new Error('lbControlPlugin: option "lb" (the LoadBalancer element) is required');
  if (typeof opts.token !== 'string' || opts.token.length === 0) throw new Error('lbControlPlugin: option "token" must be a non-empty string; writes are never open');
  const want = digest(opts.token);

  app.setValidatorCompiler(typeboxValidator);

  // Reads are open; every write needs the token, checked before the body is even looked at.
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
    if (!m) {
      reply.header('www-authenticate', 'Bearer').code(401);
      return reply.send({ error: 'unauthorized', message: 'this operation changes the load balancer and needs the header "authorization: Bearer <token>"' });
    }
    // compare digests: constant time, whatever the length
    if (!timingSafeEqual(digest(m[1]), want)) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"').code(401);
      return reply.send({ error: 'unauthorized', message: 'the bearer token is not valid for this load balancer' });
    }
  });

  app.setErrorHandler((err: FastifyError | LbError, req, reply) => {
    if (err instanceof LbError) return reply.code(err.status).send({ error: STATUS_NAMES[err.status], message: err.message });
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: STATUS_NAMES[status] ?? 'bad_request', message: err.message });
    req.log.error({ err }, 'lb control operation failed');
    return reply.code(500).send({ error: 'internal', message: err.message });
  });

  app.get('/vips', async () => ({ algorithm: lb.variant, mode: lb.mode, table_size: lb.tableSize, vips: lb.listBackends() }));

  app.get<{ Params: VipP }>('/vips/:vip', { schema: { params: VipParams } }, async (req) => {
    const v = lb.listBackends().find((x) => x.name === req.params.vip);
    if (!v) throw new LbError(404, `VIP "${req.params.vip}" does not exist (known: ${lb.pool.vips.map((x) => x.name).join(', ')})`);
    return v;
  });

  app.get('/conntrack', async () => lb.describe().conntrack);

  app.post<{ Params: VipP; Body: Static<typeof AddBackendBody> }>(
    '/vips/:vip/backends',
    { schema: { params: VipParams, body: AddBackendBody } },
    async (req, reply) => reply.code(201).send(lb.addBackend(req.params.vip, req.body)),
  );

  app.delete<{ Params: BackendP }>('/vips/:vip/backends/:name', { schema: { params: BackendParams } }, async (req) =>
    lb.removeBackend(req.params.vip, req.params.name),
  );

  app.put<{ Params: BackendP; Body: Static<typeof WeightBody> }>(
    '/vips/:vip/backends/:name/weight',
    { schema: { params: BackendParams, body: WeightBody } },
    async (req) => lb.setWeight(req.params.vip, req.params.name, req.body.weight),
  );

  app.post<{ Params: BackendP }>('/vips/:vip/backends/:name/drain', { schema: { params: BackendParams } }, async (req) =>
    lb.drainBackend(req.params.vip, req.params.name),
  );

  app.post<{ Params: BackendP }>('/vips/:vip/backends/:name/down', { schema: { params: BackendParams } }, async (req) =>
    lb.markDown(req.params.vip, req.params.name),
  );

  app.post<{ Params: BackendP }>('/vips/:vip/backends/:name/up', { schema: { params: BackendParams } }, async (req) =>
    lb.markUp(req.params.vip, req.params.name),
  );

  app.put<{ Body: Static<typeof TableSizeBody> }>('/table', { schema: { body: TableSizeBody } }, async (req) => ({
    reports: lb.setTableSize(req.body.table_size),
  }));
};
