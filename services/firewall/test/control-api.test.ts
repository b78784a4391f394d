import Fastify, { type FastifyInstance } from 'fastify';
import { ACL_DENY, Firewall, firewallStage, type RuleSpec } from '@vnflab/firewall';
import { mountControlRoutes } from '@vnflab/runtime';
import { batchOf, makeCtx, reasons, type Pkt } from './helpers';

const TOKEN = 'fw-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const RULES: RuleSpec[] = [
  { action: 'deny', proto: 'udp', sport: '49152-49279' },
  { action: 'allow', proto: 'udp', dst: '10.0.0.100/32', dport: 80 },
];
const pkt = (sport: number): Pkt => ({ src: '10.1.0.1', dst: '10.0.0.100', sport, dport: 80 });

function run(fw: Firewall, pkts: Pkt[]): number[] {
  const b = batchOf(pkts);
  fw.process(b, makeCtx(fw.variant));
  return reasons(b);
}

describe('firewall control API', () => {
  let app: FastifyInstance;
  let fw: Firewall;
  beforeEach(async () => {
    fw = new Firewall('stateful', { rules: RULES });
    app = Fastify({ logger: false });
    // mounted as every host mounts it: through the stage definition, writes behind the token
    await mountControlRoutes(app, firewallStage.controlRoutes!(fw), TOKEN);
    await app.ready();
  });
  afterEach(async () => app.close());

  test('reads are open: the rules with their hits, and the connection table', async () => {
    run(fw, [pkt(50000), pkt(49200), pkt(50000)]);
    const r = await app.inject({ method: 'GET', url: '/firewall/rules' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      default_policy: 'deny',
      default_hits: 0,
      rule_changes: 0,
      rules: [
        { index: 0, ...RULES[0], hits: 1 },
        { index: 1, ...RULES[1], hits: 1 },
      ],
    });
    const ct = await app.inject({ method: 'GET', url: '/firewall/conntrack' });
    expect(ct.statusCode).toBe(200);
    expect(ct.json()).toEqual({
      stateful: true,
      size: 1,
      capacity: 65536,
      idle_timeout_ms: 30000,
      counters: { hits_original: 1, hits_reply: 0, inserted: 1, expired: 0, full: 0, revoked: 0 },
    });
  });

  test('a write without the token, or with a wrong one, is 401 and changes nothing', async () => {
    const put = { method: 'PUT' as const, url: '/firewall/rules', payload: { rules: [{ action: 'allow' }] } };
    const none = await app.inject(put);
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.json().message).toMatch(/authorization: Bearer <token>/);
    const wrong = await app.inject({ ...put, headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().message).toMatch(/not valid/);
    // a bad body without a token is still 401: the token is checked first
    expect((await app.inject({ method: 'PUT', url: '/firewall/rules', payload: { rules: 'x' } })).statusCode).toBe(401);
    expect(fw.ruleChanges).toBe(0);
    expect(fw.acl.size).toBe(2);
  });

  test.each<[string, unknown, RegExp]>([
    [
      'not a prefix',
      { rules: [{ action: 'allow' }, { action: 'allow' }, { action: 'allow' }, { action: 'deny', src: '10.0.0/8' }] },
      /^body\.rules\[3\]\.src: not a prefix: "10\.0\.0\/8"/,
    ],
    [
      'bad port range',
      { rules: [{ action: 'deny', dport: '100-20' }] },
      /^body\.rules\[0\]\.dport: "100-20" is an empty range/,
    ],
    [
      'unknown action',
      { rules: [{ action: 'reject' }] },
      /^body\.rules\[0\]\.action: "reject" is not one of allow, deny$/,
    ],
    ['unknown rule key', { rules: [{ action: 'deny', port: 80 }] }, /^body\.rules\[0\]\.port: unknown key/],
    ['missing rules', { default_policy: 'allow' }, /^body\.rules: is required$/],
    [
      'bad default policy',
      { rules: [], default_policy: 'maybe' },
      /^body\.default_policy: "maybe" is not one of allow, deny$/,
    ],
    [
      'unknown top key',
      { rules: [], stateful: true },
      /^body\.stateful: unknown key \(known: rules, default_policy\)$/,
    ],
    ['no body', undefined, /^body: a JSON body is required$/],
  ])('a bad body is 400 naming the field (%s), and changes nothing', async (_name, payload, want) => {
    const r = await app.inject({
      method: 'PUT',
      url: '/firewall/rules',
      headers: auth,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toBe('bad_request');
    expect(r.json().message).toMatch(want);
    expect(fw.ruleChanges).toBe(0);
    expect(fw.acl.specs).toEqual(RULES);
  });

  test('PUT replaces the whole list; the next batch is decided by the new rules', async () => {
    expect(run(fw, [pkt(49200), pkt(50000), pkt(50001)])).toEqual([ACL_DENY, 0, 0]);
    const rules: RuleSpec[] = [
      { action: 'deny', proto: 'udp', sport: '50001' },
      { action: 'allow', proto: 'udp', sport: '49152-49279' },
    ];
    const r = await app.inject({
      method: 'PUT',
      url: '/firewall/rules',
      headers: auth,
      payload: { rules, default_policy: 'deny' },
    });
    expect(r.statusCode).toBe(200);
    // flow 50001 was tracked and is now refused; flow 50000 matches no rule under the deny policy
    expect(r.json()).toEqual({ rules: 2, default_policy: 'deny', flows_revoked: 2 });
    expect(run(fw, [pkt(49200), pkt(50000), pkt(50001)])).toEqual([0, ACL_DENY, ACL_DENY]);
    const view = (await app.inject({ method: 'GET', url: '/firewall/rules' })).json();
    expect(view.rule_changes).toBe(1);
    expect(view.rules.map((x: { hits: number }) => x.hits)).toEqual([1, 1]);
    expect(view.default_hits).toBe(1);
  });
});
