import Fastify, { type FastifyInstance } from 'fastify';
import { LoadBalancer, lbStage, type ChangeReport } from '@vnflab/lb';
import { mountControlRoutes } from '@vnflab/runtime';
import { flow, makeCtx, run } from './helpers';

const TOKEN = 's3cret-token';
const auth = { authorization: `Bearer ${TOKEN}` };

async function setup(algorithm = 'maglev'): Promise<{ app: FastifyInstance; lb: LoadBalancer }> {
  const lb = new LoadBalancer(algorithm, {});
  // some tracked flows, so changes have flows to report on
  const ctx = makeCtx(algorithm);
  run(
    (b) => lb.process(b, ctx),
    Array.from({ length: 900 }, (_, i) => flow(i)),
  );
  const app = Fastify({ logger: false });
  await mountControlRoutes(app, lbStage.controlRoutes!(lb), TOKEN); // as every host mounts it
  await app.ready();
  return { app, lb };
}

/** The pool as the API shows it, to check a refused call changed nothing. */
async function snapshot(app: FastifyInstance): Promise<unknown> {
  const r = await app.inject({ method: 'GET', url: '/lb/vips' });
  const body = r.json() as { vips: { backends: { name: string; weight: number; state: string }[] }[] };
  return body.vips.map((v) => v.backends.map((b) => [b.name, b.weight, b.state]));
}

describe('lb control API', () => {
  let app: FastifyInstance;
  let lb: LoadBalancer;
  beforeEach(async () => ({ app, lb } = await setup()));
  afterEach(async () => app.close());

  test('reads are open: VIPs, backends with shares, conntrack', async () => {
    const r = await app.inject({ method: 'GET', url: '/lb/vips/web' });
    expect(r.statusCode).toBe(200);
    const v = r.json();
    expect(v.algorithm).toBe('maglev');
    expect(v.table_size).toBe(65537);
    expect(v.backends.map((b: { name: string }) => b.name)).toEqual(['web-1', 'web-2', 'web-3']);
    for (const b of v.backends) expect(Math.abs(b.share - 1 / 3)).toBeLessThan(0.001);
    expect(v.backends.reduce((s: number, b: { tracked_flows: number }) => s + b.tracked_flows, 0)).toBe(900);
    const ct = (await app.inject({ method: 'GET', url: '/lb/conntrack' })).json();
    expect(ct.entries).toBe(900);
    expect((await app.inject({ method: 'GET', url: '/lb/vips/nope' })).statusCode).toBe(404);
  });

  test('writes without a token get 401 and change nothing; a wrong token too', async () => {
    const before = await snapshot(app);
    const calls = [
      { method: 'POST' as const, url: '/lb/vips/web/backends', payload: { name: 'web-4', address: '10.0.1.4' } },
      { method: 'DELETE' as const, url: '/lb/vips/web/backends/web-1' },
      { method: 'PUT' as const, url: '/lb/vips/web/backends/web-1/weight', payload: { weight: 5 } },
      { method: 'POST' as const, url: '/lb/vips/web/backends/web-1/drain' },
      { method: 'POST' as const, url: '/lb/vips/web/backends/web-1/down' },
      { method: 'PUT' as const, url: '/lb/table', payload: { table_size: 5003 } },
    ];
    for (const c of calls) {
      const r = await app.inject(c);
      expect(r.statusCode).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(r.json().message).toMatch(/authorization: Bearer <token>/);
      const wrong = await app.inject({ ...c, headers: { authorization: 'Bearer nope' } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().message).toMatch(/not valid/);
    }
    // a bad body without a token is still a 401: the token is checked first
    expect(
      (await app.inject({ method: 'PUT', url: '/lb/vips/web/backends/web-1/weight', payload: { weight: -1 } }))
        .statusCode,
    ).toBe(401);
    expect(await snapshot(app)).toEqual(before);
    expect(lb.changes).toBe(0);
  });

  test('bad calls get a 4xx that says what was wrong, and change nothing', async () => {
    const before = await snapshot(app);
    const cases: [string, { method: 'POST' | 'PUT' | 'DELETE'; url: string; payload?: unknown }, number, RegExp][] = [
      [
        'weight out of range',
        { method: 'PUT', url: '/lb/vips/web/backends/web-1/weight', payload: { weight: 5000 } },
        400,
        /body\.weight: expected integer to be less or equal to 1000/,
      ],
      [
        'weight not a number',
        { method: 'PUT', url: '/lb/vips/web/backends/web-1/weight', payload: { weight: 'heavy' } },
        400,
        /body\.weight: expected integer/,
      ],
      [
        'missing body',
        { method: 'PUT', url: '/lb/vips/web/backends/web-1/weight' },
        400,
        /^body: a JSON body is required$/,
      ],
      [
        'unknown field',
        { method: 'PUT', url: '/lb/vips/web/backends/web-1/weight', payload: { weight: 1, wieght: 2 } },
        400,
        /body\.wieght: unknown key \(known: weight\)/,
      ],
      [
        'unknown backend',
        { method: 'DELETE', url: '/lb/vips/web/backends/web-9' },
        404,
        /backend "web-9" is not in VIP "web" \(known: web-1, web-2, web-3\)/,
      ],
      [
        'unknown backend (weight)',
        { method: 'PUT', url: '/lb/vips/web/backends/web-9/weight', payload: { weight: 1 } },
        404,
        /backend "web-9"/,
      ],
      [
        'unknown VIP',
        { method: 'POST', url: '/lb/vips/dns/backends/web-1/drain' },
        404,
        /VIP "dns" does not exist \(known: web\)/,
      ],
      [
        'duplicate name',
        { method: 'POST', url: '/lb/vips/web/backends', payload: { name: 'web-2', address: '10.0.1.9' } },
        409,
        /backend "web-2" already exists in VIP "web"/,
      ],
      [
        'duplicate address',
        { method: 'POST', url: '/lb/vips/web/backends', payload: { name: 'web-9', address: '10.0.1.2', port: 8080 } },
        409,
        /10\.0\.1\.2:8080 is already backend "web-2"/,
      ],
      [
        'bad address',
        { method: 'POST', url: '/lb/vips/web/backends', payload: { name: 'web-9', address: '10.0.1' } },
        400,
        /address: "10\.0\.1" is not an IPv4 address/,
      ],
      [
        'bad name',
        { method: 'POST', url: '/lb/vips/web/backends', payload: { name: 'Web 9', address: '10.0.1.9' } },
        400,
        /body\.name: "Web 9" is not a valid name: use 1\.\.63 of a-z 0-9/,
      ],
      [
        'name missing',
        { method: 'POST', url: '/lb/vips/web/backends', payload: { address: '10.0.1.9' } },
        400,
        /^body\.name: is required$/,
      ],
      [
        'non-prime M',
        { method: 'PUT', url: '/lb/table', payload: { table_size: 65536 } },
        400,
        /table_size: 65536 is not prime.*65521 and 65537/,
      ],
      [
        'M out of range',
        { method: 'PUT', url: '/lb/table', payload: { table_size: 1 } },
        400,
        /body\.table_size: expected integer to be greater or equal to 3/,
      ],
      ['not JSON', { method: 'PUT', url: '/lb/table', payload: '{oops' }, 400, /JSON/],
    ];
    for (const [what, c, status, msg] of cases) {
      const headers = typeof c.payload === 'string' ? { ...auth, 'content-type': 'application/json' } : auth;
      const r = await app.inject({ ...c, payload: c.payload as never, headers });
      expect({ what, status: r.statusCode }).toEqual({ what, status });
      const body = r.json();
      expect(typeof body.error).toBe('string');
      expect(body.message).toMatch(msg);
    }
    expect(await snapshot(app)).toEqual(before);
    expect(lb.changes).toBe(0);
  });

  test('remove 1 of 3: the report gives entries and flows moved next to the ideal 1/3', async () => {
    const r = await app.inject({ method: 'DELETE', url: '/lb/vips/web/backends/web-2', headers: auth });
    expect(r.statusCode).toBe(200);
    const rep = r.json() as ChangeReport;
    expect(rep).toMatchObject({
      vip: 'web',
      operation: 'remove',
      backend: 'web-2',
      algorithm: 'maglev',
      eligible_before: 3,
      eligible_after: 2,
    });
    expect(rep.table!.ideal_fraction).toBeCloseTo(1 / 3, 10);
    expect(Math.abs(rep.table!.fraction_moved - 1 / 3)).toBeLessThan(0.01);
    expect(rep.table!.survivors_fraction_moved).toBeLessThan(0.01);
    expect(rep.flows.tracked).toBe(900);
    expect(Math.abs(rep.flows.fraction_moved - 1 / 3)).toBeLessThan(0.06);
    expect(rep.flows.fraction_moved).toBe(rep.flows.ideal_fraction);
    const v = (await app.inject({ method: 'GET', url: '/lb/vips/web' })).json();
    expect(v.backends.map((b: { name: string }) => b.name)).toEqual(['web-1', 'web-3']);
    expect(v.last_change.operation).toBe('remove');
  });

  test('add, weight, drain, down, up and table size all answer with a report', async () => {
    const add = await app.inject({
      method: 'POST',
      url: '/lb/vips/web/backends',
      headers: auth,
      payload: { name: 'web-4', address: '10.0.1.4', port: 8080, weight: 100 },
    });
    expect(add.statusCode).toBe(201);
    expect(add.json().table.ideal_fraction).toBeCloseTo(0.25, 10);
    expect(add.json().flows.moved).toBe(0);

    const w = await app.inject({
      method: 'PUT',
      url: '/lb/vips/web/backends/web-4/weight',
      headers: auth,
      payload: { weight: 200 },
    });
    expect(w.statusCode).toBe(200);
    expect(w.json().operation).toBe('set_weight');
    const shares = (await app.inject({ method: 'GET', url: '/lb/vips/web' })).json().backends as {
      name: string;
      share: number;
      ideal_share: number;
    }[];
    const w4 = shares.find((b) => b.name === 'web-4')!;
    expect(w4.ideal_share).toBeCloseTo(0.4, 10);
    expect(Math.abs(w4.share - 0.4) / 0.4).toBeLessThan(0.01);

    const d = await app.inject({ method: 'POST', url: '/lb/vips/web/backends/web-1/drain', headers: auth });
    expect(d.json()).toMatchObject({ operation: 'drain', eligible_after: 3, flows: { moved: 0 } });
    const dn = await app.inject({ method: 'POST', url: '/lb/vips/web/backends/web-3/down', headers: auth });
    expect(dn.json().operation).toBe('down');
    expect(dn.json().flows.moved).toBeGreaterThan(0);
    const up = await app.inject({ method: 'POST', url: '/lb/vips/web/backends/web-3/up', headers: auth });
    expect(up.json().eligible_after).toBe(3);
    const states = (await app.inject({ method: 'GET', url: '/lb/vips/web' }))
      .json()
      .backends.map((b: { state: string }) => b.state);
    expect(states).toEqual(['drained', 'up', 'up', 'up']);

    const t = await app.inject({ method: 'PUT', url: '/lb/table', headers: auth, payload: { table_size: 5003 } });
    expect(t.statusCode).toBe(200);
    const rep = t.json().reports[0] as ChangeReport;
    expect(rep.operation).toBe('table_size');
    expect(rep.table!.size).toBe(5003);
    expect(rep.table!.sampled).toBe(true);
    expect(lb.tableSize).toBe(5003);
    expect(lb.changes).toBe(6);
  });

  test('PUT /lb/table over the memory budget is refused 409 with the estimate; the data path keeps serving', async () => {
    const budgeted = new LoadBalancer('maglev', {}, { memoryBudget: { bytes: 64 * 2 ** 20, source: 'memory_budget' } });
    const ctx = makeCtx();
    run(
      (b) => budgeted.process(b, ctx),
      Array.from({ length: 300 }, (_, i) => flow(i)),
    );
    const a = Fastify({ logger: false });
    await mountControlRoutes(a, lbStage.controlRoutes!(budgeted), TOKEN);
    await a.ready();
    try {
      // 16777213 slots x 2 tables x 4 B = 128 MiB for the one VIP: over the 64 MiB budget
      const big = await a.inject({ method: 'PUT', url: '/lb/table', headers: auth, payload: { table_size: 16777213 } });
      expect(big.statusCode).toBe(409);
      const msg = big.json().message as string;
      expect(msg).toMatch(
        /lb table_size 16777213: its settings need an estimated 131\.1 MiB, over the memory budget of 64 MiB \(memory_budget\)/,
      );
      expect(msg).toContain('table_size 128 MiB');
      expect(budgeted.tableSize).toBe(65537);
      expect(budgeted.rebuild.pending).toBe(0);
      // the data path goes on forwarding on the table in place
      const out = run(
        (b) => budgeted.process(b, ctx),
        Array.from({ length: 300 }, (_, i) => flow(i + 300)),
      );
      expect(out.reduce((n, b) => n + b.count, 0)).toBe(300);
      for (const b of out) for (let i = 0; i < b.count; i++) expect(b.alive(i)).toBe(true);
      // the same check through POST /control's configure: a settings error, nothing scheduled
      expect(() => budgeted.configure({ table_size: 16777213 })).toThrow(/over the memory budget of 64 MiB/);
      expect(budgeted.rebuild.pending).toBe(0);
      // a size that fits is still taken
      const ok = await a.inject({ method: 'PUT', url: '/lb/table', headers: auth, payload: { table_size: 1048573 } });
      expect(ok.statusCode).toBe(200);
      expect(budgeted.tableSize).toBe(1048573);
    } finally {
      await a.close();
    }
  });

  test('round-robin has no table to compare: table is null, flows are still reported', async () => {
    const s = await setup('round-robin');
    try {
      const r = (
        await s.app.inject({ method: 'DELETE', url: '/lb/vips/web/backends/web-1', headers: auth })
      ).json() as ChangeReport;
      expect(r.table).toBeNull();
      expect(r.flows.tracked).toBe(900);
      expect(r.flows.fraction_moved).toBeCloseTo(1 / 3, 2);
      expect(r.flows.remapped_without_conntrack).toBeNull();
    } finally {
      await s.app.close();
    }
  });

  test('the plugin refuses to start without a token', async () => {
    const a = Fastify();
    await expect(
      mountControlRoutes(a, lbStage.controlRoutes!(new LoadBalancer()), '').then(() => a.ready()),
    ).rejects.toThrow(/token/);
    await a.close();
  });
});
