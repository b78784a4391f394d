// Closed-loop chains, embedded: requests go client -> relay -> reflector, answers come back
// through the relay's return runner to the client. Accounting closes in both directions with
// exact numbers; drops on the way back, ticks and ends (including a client that gives up) too.

import { Batch, BatchPool, ConfigError, DELIVERED, StageStats, validateChain } from '@vnflab/core';
import { EmbeddedChain, RunnerOutbox, summarize } from '@vnflab/runtime';
import { LoopClient, LoopRelay, loopRegistry } from './loop-stages';

const registry = loopRegistry();

function chain(over: { relay?: Record<string, unknown>; reflector?: string; client?: Record<string, unknown> }) {
  return validateChain(
    {
      name: 'loop',
      profile: 'zero',
      batch_size: 32,
      loop: true,
      stages: [
        { stage: 'loop-client', settings: { requests: 1000, ...over.client } },
        { stage: 'loop-relay', name: 'relay-a', settings: over.relay ?? {} },
        { stage: 'loop-relay', name: 'relay-b' },
        { stage: 'loop-reflector', variant: over.reflector ?? 'reply' },
      ],
    },
    registry,
  );
}

async function run(c: ReturnType<typeof chain>) {
  const ec = new EmbeddedChain(c, registry);
  await ec.start();
  const s = summarize(c.name, c.profile, ec.stages, ec.elapsedSeconds(), undefined, c.loop);
  const by = (name: string) => ec.stages.find((x) => x.name === name)!;
  return { ec, s, by };
}

describe('closed-loop chain, embedded', () => {
  test('each request answered with a new packet: accounting closes in both directions', async () => {
    const { s, by } = await run(chain({}));
    const client = by('loop-client');
    expect((client.element as LoopClient).replies).toBe(1000);
    expect(s.sent).toBe(1000);
    expect(by('loop-reflector').stats.delivered).toBe(1000);
    expect(by('loop-reflector').stats.originated).toBe(1000);
    expect(client.stats.delivered).toBe(1000);
    expect(s.received).toBe(1000);
    expect(s.originated).toBe(1000);
    expect(s.delivered).toBe(2000);
    expect(s.drops_total).toBe(0);
    expect(s.accounting_closed).toBe(true);
    // every relay saw each request going out and each answer coming back
    for (const r of ['relay-a', 'relay-b']) {
      expect((by(r).element as LoopRelay).forward).toBe(1000);
      expect((by(r).element as LoopRelay).returned).toBe(1000);
      expect(by(r).stats.packetsIn).toBe(2000);
    }
    const row = s.stages.find((x) => x.name === 'loop-reflector')!;
    expect(row).toMatchObject({ originated: 1000, delivered: 1000 });
    expect(s.stages.find((x) => x.name === 'relay-a')).not.toHaveProperty('originated');
  });

  test('requests turned around in place come back without anything originated', async () => {
    const { s, by } = await run(chain({ reflector: 'turn' }));
    expect((by('loop-client').element as LoopClient).replies).toBe(1000);
    expect(s.originated).toBe(0);
    expect(s.delivered).toBe(1000);
    expect(by('loop-reflector').stats.packetsOut).toBe(1000);
    expect(s.accounting_closed).toBe(true);
  });

  test('drops on the way back are counted, and a client that gives up still ends the run', async () => {
    const { s, by } = await run(chain({ relay: { drop_return_every: 10 }, client: { give_up_ms: 200 } }));
    // relay-a sees the answers last on their way back: every tenth of them is dropped there
    expect(s.drops).toEqual({ 'relay-a': { relay_return_drop: 100 } });
    expect((by('loop-client').element as LoopClient).replies).toBe(900);
    expect(s.received).toBe(900);
    expect(s.sent + s.originated!).toBe(2000);
    expect(s.delivered! + s.drops_total).toBe(2000);
    expect(s.accounting_closed).toBe(true);
  });

  test('a tick fires while the stage runs, and what it originates is accounted', async () => {
    const { s, by } = await run(chain({ relay: { tick_ms: 2 }, client: { window: 8 } }));
    const relay = by('relay-a');
    const client = by('loop-client').element as LoopClient;
    expect((relay.element as LoopRelay).ticked).toBeGreaterThan(0);
    expect(relay.stats.originated).toBe((relay.element as LoopRelay).ticked);
    expect(client.replies).toBe(1000);
    // every notice a tick sent back reached the client
    expect(client.notices).toBe(relay.stats.originated);
    expect(s.received).toBe(1000 + relay.stats.originated);
    expect(s.accounting_closed).toBe(true);
  });

  test('stop() ends a run whose client would otherwise wait for answers', async () => {
    const c = chain({ client: { requests: 1e9, window: 16 } });
    const ec = new EmbeddedChain(c, registry);
    const done = ec.start();
    await new Promise((r) => setTimeout(r, 100));
    ec.stop();
    await done;
    const s = summarize(c.name, c.profile, ec.stages, ec.elapsedSeconds(), undefined, true);
    expect(s.sent).toBeGreaterThan(0);
    expect(s.received).toBe(s.sent);
    expect(s.accounting_closed).toBe(true);
  });

  test('an open chain has no way back: ctx.out.back() throws, forward() at the last stage too', () => {
    const pool = new BatchPool(4);
    expect(() => new RunnerOutbox(pool, true, false, 'mid').back()).toThrow(/mid: ctx.out.back\(\): .*loop chain/);
    expect(() => new RunnerOutbox(pool, false, true, 'end').forward()).toThrow(/end: ctx.out.forward\(\)/);
    const box = new RunnerOutbox(pool, true, true, 'mid');
    const b = box.back();
    for (let i = 0; i < 4; i++) b.append(60);
    expect(box.back()).not.toBe(b); // full: a fresh batch
    expect(box.backBatches).toHaveLength(2);
  });

  test('deliver() is a reserved reason the runner counts apart from drops', () => {
    const b = Batch.allocate(4);
    b.append(60);
    b.append(60);
    b.deliver(0);
    const stats = new StageStats('x', 'y');
    b.compact((r) => (r === DELIVERED ? stats.delivered++ : stats.drop(r)));
    expect(b.count).toBe(1);
    expect(stats.delivered).toBe(1);
    expect(stats.totalDrops()).toBe(0);
  });

  test('loop: needs a source first, one instance per stage; its last stage may be an element', () => {
    const base = { name: 'l', loop: true };
    expect(() =>
      validateChain({ ...base, stages: [{ stage: 'loop-relay' }, { stage: 'loop-reflector' }] }, registry),
    ).toThrow(/loop: a loop chain starts with a source/);
    expect(() =>
      validateChain(
        {
          ...base,
          stages: [
            { stage: 'loop-client', settings: { requests: 1 } },
            { stage: 'loop-reflector', replicas: 2 },
          ],
        },
        registry,
      ),
    ).toThrow(/stages\[1\]\.replicas: a loop chain runs one instance per stage/);
    expect(() =>
      validateChain(
        { name: 'l', stages: [{ stage: 'loop-client', settings: { requests: 1 } }, { stage: 'loop-reflector' }] },
        registry,
      ),
    ).toThrow(ConfigError);
    expect(
      validateChain(
        { ...base, stages: [{ stage: 'loop-client', settings: { requests: 1 } }, { stage: 'loop-reflector' }] },
        registry,
      ).loop,
    ).toBe(true);
  });
});
