// The generator's control API: GET /traffic reads the traffic and its offered/sent/not-sent
// counts; PUT /traffic changes rate, size, flows, flush_ms and running between batches, behind the token.

import Fastify, { type FastifyInstance } from 'fastify';
import { Batch, Costs, StageStats, loadProfile, probeSeq, silentLogger } from '@vnflab/core';
import { mountControlRoutes } from '@vnflab/runtime';
import { TrafficGenerator, trafficGenStage } from '@vnflab/traffic-gen';

const TOKEN = 'gen-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const MS = 1e6;
const ctx = () => ({
  stats: new StageStats('traffic-gen', 'udp'),
  costs: new Costs(loadProfile('zero')),
  log: silentLogger,
});

describe('traffic-gen control API', () => {
  let app: FastifyInstance;
  let gen: TrafficGenerator;
  beforeEach(async () => {
    gen = new TrafficGenerator({ rate: 10_000, flows: 4, size: 64 });
    app = Fastify({ logger: false });
    await mountControlRoutes(app, trafficGenStage.controlRoutes!(gen), TOKEN); // as every host mounts it
    await app.ready();
  });
  afterEach(async () => app.close());

  test('GET /traffic is open and tells the traffic and what was offered, sent and not sent', async () => {
    const c = ctx();
    const b = Batch.allocate(64);
    gen.fill(b, 1000 * MS, c);
    b.reset();
    gen.fill(b, 1100 * MS, c); // 100 ms later: only the last 2+2 ms are still sendable
    const r = await app.inject({ method: 'GET', url: '/traffic' });
    expect(r.statusCode).toBe(200);
    const j = r.json();
    expect(j).toMatchObject({ variant: 'udp', rate: 10_000, size: 64, flows: 4, running: true, done: false });
    expect(j.sent).toBe(gen.sent);
    expect(j.not_sent).toBeGreaterThan(900);
    expect(j.offered).toBe(j.sent + j.not_sent);
  });

  test('a write without the token is 401 and changes nothing', async () => {
    const r = await app.inject({ method: 'PUT', url: '/traffic', payload: { rate: 5 } });
    expect(r.statusCode).toBe(401);
    expect(gen.traffic().rate).toBe(10_000);
  });

  test('a bad body is 400 naming the field; a size too small for TCP is 400 and changes nothing', async () => {
    const bad = await app.inject({ method: 'PUT', url: '/traffic', headers: auth, payload: { rate: -1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/rate/);
    const extra = await app.inject({ method: 'PUT', url: '/traffic', headers: auth, payload: { burst: 3 } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().message).toMatch(/burst/);
    const tcp = new TrafficGenerator({ proto: 'tcp', flows: 2, size: 128 });
    const a = Fastify({ logger: false });
    await mountControlRoutes(a, trafficGenStage.controlRoutes!(tcp), TOKEN);
    const small = await a.inject({ method: 'PUT', url: '/traffic', headers: auth, payload: { size: 64, flows: 9 } });
    await a.close();
    expect(small.statusCode).toBe(400);
    expect(small.json().message).toMatch(/too small for tcp/);
    expect(tcp.traffic()).toMatchObject({ size: 128, flows: 2 });
  });

  test('a new rate restarts the schedule: a slower past is not counted as not sent', async () => {
    const c = ctx();
    const b = Batch.allocate(64);
    gen.fill(b, 0, c);
    const r = await app.inject({ method: 'PUT', url: '/traffic', headers: auth, payload: { rate: 1000 } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ rate: 1000, not_sent: 0 });
    b.reset();
    // the new schedule begins at the next look: one packet at once; the next falls due 1 ms
    // later and goes with what joins it in the 2 ms flush
    expect(gen.fill(b, 500 * MS, c)).toBe(1);
    expect(gen.waitMs(500 * MS)).toBeCloseTo(3, 6);
    expect(gen.traffic().not_sent).toBe(0);
  });

  test('a new flush interval sets how long the next batch waits and keeps the schedule', async () => {
    const c = ctx();
    const b = Batch.allocate(64);
    gen.fill(b, 0, c); // the first packet goes at once; the next falls due at 0.1 ms
    expect(gen.waitMs(0)).toBeCloseTo(2.1, 6); // and waits out the default 2 ms flush
    const r = await app.inject({ method: 'PUT', url: '/traffic', headers: auth, payload: { flush_ms: 5 } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ rate: 10_000, flush_ms: 5, not_sent: 0 });
    expect(gen.waitMs(0)).toBeCloseTo(5.1, 6); // 51 packets at 10 kpps: the batch is not yet full
    b.reset();
    expect(gen.fill(b, 5.1 * MS, c)).toBe(51); // the schedule went on: nothing lost, nothing doubled
    expect(gen.traffic().not_sent).toBe(0);
    // back to 1 ms with 5 ms of packets gathered: they go in the next batch, none counted as skipped
    gen.fill(b, 5.2 * MS, c); // one packet due at 5.2 ms starts the next batch
    b.reset();
    await app.inject({ method: 'PUT', url: '/traffic', headers: auth, payload: { flush_ms: 1 } });
    expect(gen.waitMs(10.2 * MS)).toBe(0);
    expect(gen.fill(b, 10.2 * MS, c)).toBe(50);
    expect(gen.traffic().not_sent).toBe(0);
    expect(gen.waitMs(10.2 * MS)).toBeCloseTo(1.1, 6); // the next batch waits the new 1 ms
    const bad = await app.inject({ method: 'PUT', url: '/traffic', headers: auth, payload: { flush_ms: 2000 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/flush_ms/);
  });

  test('running false pauses without ending the run; true resumes; end ends it', async () => {
    const c = ctx();
    const b = Batch.allocate(64);
    const stop = await app.inject({ method: 'PUT', url: '/traffic', headers: auth, payload: { running: false } });
    expect(stop.json()).toMatchObject({ running: false, done: false });
    expect(gen.fill(b, 10 * MS, c)).toBe(0);
    expect(gen.waitMs(10 * MS)).toBeGreaterThan(0);
    expect(gen.done).toBe(false);
    await app.inject({ method: 'PUT', url: '/traffic', headers: auth, payload: { running: true } });
    expect(gen.fill(b, 5000 * MS, c)).toBe(1);
    expect(gen.traffic().not_sent).toBe(0); // the pause was not a shortfall
    const end = await app.inject({ method: 'PUT', url: '/traffic', headers: auth, payload: { end: true } });
    expect(end.json()).toMatchObject({ running: false, done: true });
    expect(gen.done).toBe(true);
    const late = await app.inject({ method: 'PUT', url: '/traffic', headers: auth, payload: { rate: 5 } });
    expect(late.statusCode).toBe(400);
  });

  test('a paused generator with a duration still ends when its duration is over', () => {
    const g = new TrafficGenerator({ rate: 1000, duration: 1 });
    const b = Batch.allocate(64);
    expect(g.fill(b, 0, ctx())).toBe(1);
    g.setTraffic({ running: false });
    expect(g.waitMs(500 * MS)).toBeGreaterThan(0);
    expect(g.done).toBe(false);
    expect(g.waitMs(1000 * MS)).toBe(0);
    expect(g.done).toBe(true);
  });

  test('size and flows change the next batch; a flow keeps its sequence numbers', async () => {
    const g = new TrafficGenerator({ flows: 1, size: 64 });
    const c = ctx();
    const b = Batch.allocate(8);
    g.fill(b, 0, c);
    expect(b.count).toBe(8);
    expect(b.length(0)).toBe(60);
    g.setTraffic({ size: 128, flows: 1 });
    b.reset();
    g.fill(b, 0, c);
    expect(b.length(0)).toBe(124);
    // flow 0 goes on from sequence 8; the probe sits after the 42 B of UDP headers
    expect(probeSeq(b.buf, b.offset(0) + 42)).toBe(8);
    g.setTraffic({ flows: 3 });
    expect(g.traffic().flows).toBe(3);
    b.reset();
    g.fill(b, 0, c);
    const flowsSeen = new Set(Array.from({ length: b.count }, (_, i) => b.flowId(i)));
    expect(flowsSeen.size).toBeGreaterThan(1);
  });

  test('a resumed generator continues the count and numbers its probes above every earlier one', () => {
    const g = new TrafficGenerator({ flows: 2, count: 10 });
    g.resume(6);
    const c = ctx();
    const b = Batch.allocate(64);
    expect(g.fill(b, 0, c)).toBe(4);
    expect(g.sent).toBe(10);
    expect(g.done).toBe(true);
    for (let i = 0; i < b.count; i++) expect(probeSeq(b.buf, b.offset(i) + 42)).toBeGreaterThanOrEqual(6);
  });

  test("with the earlier generator's state each flow continues exactly; a flow it did not have starts past every earlier packet", () => {
    const first = new TrafficGenerator({ flows: 2 });
    const c = ctx();
    const b = Batch.allocate(8);
    first.fill(b, 0, c);
    const next = new TrafficGenerator({ flows: 3 });
    next.resume(first.sent, first.sequenceState());
    b.reset();
    next.fill(b, 0, c);
    const earlier = new Uint32Array(first.sequenceState()!.buffer);
    const want = new Map([
      [0, earlier[0]],
      [1, earlier[1]],
      [2, 8],
    ]);
    for (let i = 0; i < b.count; i++) {
      const f = b.flowId(i);
      expect(probeSeq(b.buf, b.offset(i) + 42)).toBe(want.get(f));
      want.set(f, want.get(f)! + 1);
    }
  });

  test('metrics: offered, not sent and not sent through its own lateness, one sample each', () => {
    const m = gen.metrics();
    expect(m.map((x) => x.name)).toEqual(['vnflab_generator_packets_total']);
    expect(m[0].samples.map((s) => s.labels.kind)).toEqual(['offered', 'not_sent', 'not_sent_late']);
  });
});
