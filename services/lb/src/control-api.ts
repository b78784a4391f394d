// The lb control API, a fastify plugin: read the pool, and change it at run time (add, remove,
// drain, weight, down/up, table size). Every change answers with what moved (table entries and
// tracked flows) next to the ideal, once its new table is in place: the table is built in slices
// between batches (LbControl.schedule), so a large one never stalls the data path. Requests are TypeBox schemas; the host validates them, answers
// errors (an LbError with its status) and guards the writes with the control token
// (packages/runtime/src/http), so this plugin holds only the routes.
//
//   mountControlRoutes(app, lbStage.controlRoutes(lb), token)   // served under /lb

import { Type } from '@sinclair/typebox';
import type { AuthMessages, TypeBoxPlugin } from '@vnflab/core';
import { LbError } from './control-operations';
import type { LoadBalancer } from './lb';
import { BackendSchema, MAX_WEIGHT } from './settings';
import { MAX_TABLE_SIZE, MIN_TABLE_SIZE } from './prime';

export interface LbControlOptions {
  lb: LoadBalancer;
}

/** What a write without the control token, or with a wrong one, is told. */
export const LB_AUTH_MESSAGES: AuthMessages = {
  missing: 'this operation changes the load balancer and needs the header "authorization: Bearer <token>"',
  invalid: 'the bearer token is not valid for this load balancer',
};

export const VipParams = Type.Object({ vip: Type.String({ minLength: 1 }) });
export const BackendParams = Type.Object({ vip: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }) });
export const AddBackendBody = BackendSchema;
export const WeightBody = Type.Object(
  { weight: Type.Integer({ minimum: 0, maximum: MAX_WEIGHT, description: '0 drains the backend' }) },
  { additionalProperties: false },
);
export const TableSizeBody = Type.Object(
  {
    table_size: Type.Integer({ minimum: MIN_TABLE_SIZE, maximum: MAX_TABLE_SIZE, description: 'a prime, e.g. 65537' }),
  },
  { additionalProperties: false },
);

export const lbControlPlugin: TypeBoxPlugin<LbControlOptions> = async (app, opts) => {
  const { lb } = opts;
  if (!lb) throw new Error('lbControlPlugin: option "lb" (the LoadBalancer element) is required');

  app.get('/vips', async () => ({
    algorithm: lb.variant,
    mode: lb.mode,
    table_size: lb.tableSize,
    vips: lb.listBackends(),
  }));

  app.get('/vips/:vip', { schema: { params: VipParams } }, async (req) => {
    const v = lb.listBackends().find((x) => x.name === req.params.vip);
    if (!v)
      throw new LbError(
        404,
        `VIP "${req.params.vip}" does not exist (known: ${lb.pool.vips.map((x) => x.name).join(', ')})`,
      );
    return v;
  });

  app.get('/conntrack', async () => lb.describe().conntrack);

  app.post('/vips/:vip/backends', { schema: { params: VipParams, body: AddBackendBody } }, async (req, reply) =>
    reply.code(201).send(await lb.scheduled.addBackend(req.params.vip, req.body)),
  );

  app.delete('/vips/:vip/backends/:name', { schema: { params: BackendParams } }, async (req) =>
    lb.scheduled.removeBackend(req.params.vip, req.params.name),
  );

  app.put('/vips/:vip/backends/:name/weight', { schema: { params: BackendParams, body: WeightBody } }, async (req) =>
    lb.scheduled.setWeight(req.params.vip, req.params.name, req.body.weight),
  );

  app.post('/vips/:vip/backends/:name/drain', { schema: { params: BackendParams } }, async (req) =>
    lb.scheduled.drainBackend(req.params.vip, req.params.name),
  );

  app.post('/vips/:vip/backends/:name/down', { schema: { params: BackendParams } }, async (req) =>
    lb.scheduled.markDown(req.params.vip, req.params.name),
  );

  app.post('/vips/:vip/backends/:name/up', { schema: { params: BackendParams } }, async (req) =>
    lb.scheduled.markUp(req.params.vip, req.params.name),
  );

  // answers once every VIP's new table serves; meanwhile batches are processed on the old ones.
  // A size whose tables exceed the memory budget is refused first (409, LoadBalancer.checkTableMemory)
  app.put('/table', { schema: { body: TableSizeBody } }, async (req) => ({
    reports: await lb.scheduled.setTableSize(req.body.table_size),
  }));
};
