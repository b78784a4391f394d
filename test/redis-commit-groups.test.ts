// Commits kept in flight (packages/core/src/bus/commit-pipeline.ts) against a real redis-server: a
// middle stage that goes on past unsettled sends commits them in groups, in order, each batch's
// input acknowledged with its forward; a group the hop only partly takes commits a prefix, and a
// stage that dies then restarts from a ledger that counts exactly what was acknowledged; a batch
// refused at a full hop keeps its place and is acknowledged with its drops counted; a restarted
// stage that reads ahead takes its own pending batches back once each; a batch another consumer
// took over is left to it while the batches around it in the same group commit; a stage that
// decodes into a pool gets each batch back once its forward is committed.

import {
  Batch,
  BatchDedup,
  BatchPool,
  DECODE_POOL_BYTES,
  MAX_GROUP,
  RedisBus,
  StageStats,
  StatsLedger,
  reasonCode,
  type RedisConsumer,
} from '@vnflab/core';
import { TestRedis } from './helpers/redis';

let redis: TestRedis;
let n = 0;
const buses: RedisBus[] = [];

beforeAll(async () => {
  redis = await TestRedis.start();
});
afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  await redis.stop();
});

function bus(prefix: string, opts: Partial<ConstructorParameters<typeof RedisBus>[0]> = {}): RedisBus {
  const b = new RedisBus({ url: redis.url, prefix, bound: 64, claimIdleMs: 60000, blockMs: 20, ...opts });
  buses.push(b);
  return b;
}

function batch(id: number, packets = 8): Batch {
  const b = Batch.allocate(packets, 128);
  for (let i = 0; i < packets; i++) b.buf.fill(id & 0xff, b.offset(b.append(60)), b.offset(i) + 60);
  b.batchId = id;
  return b;
}

/** What a stage counts for a batch it takes in and forwards whole. */
function count(stats: StageStats, b: Batch): void {
  stats.packetsIn += b.count;
  stats.packetsOut += b.count;
}

async function ids(c: RedisConsumer, want: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; tries < 400 && out.length < want; tries++) {
    const d = await c.receive(50);
    if (!d) continue;
    out.push(d.batch.batchId);
    await c.ack(d);
  }
  return out;
}

describe('commits kept in flight', () => {
  test('a stage that goes on past its sends commits them in groups, in order, each input acknowledged with its forward', async () => {
    const prefix = `vnflab:groups:${process.pid}-${++n}`;
    const b = bus(prefix, { prefetch: 8 });
    await b.whenReady();
    const gen = b.producer('mid');
    for (let i = 1; i <= 24; i++) expect(await gen.send(batch(i))).toBe(true);
    const stats = new StageStats('mid', 'x', 'm1');
    const mid = b.consumer('mid', 'mid', 'm1', {
      ledger: new StatsLedger(b.ledgerKey('m1', 'mid'), stats),
      readAhead: true,
    });
    const fwd = b.producer('last', { acks: mid });
    const last = b.consumer('last', 'last', 'l1');
    await last.receive(10); // makes the group downstream
    const sends: Promise<boolean>[] = [];
    while (sends.length < 24) {
      const d = await mid.receive(50);
      if (!d) continue;
      count(stats, d.batch);
      sends.push(fwd.send(d.batch)); // not awaited: the next batch is read and processed meanwhile
    }
    expect(await Promise.all(sends)).toEqual(Array(24).fill(true));
    expect(fwd.commits.settledBatches).toBe(24);
    expect(fwd.commits.calls).toBeLessThan(24); // several batches per script call
    expect(await ids(last, 24)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect((await b.cmd.xpending(b.streamKey('mid'), 'mid'))[0]).toBe(0);
    const stored = new StageStats('mid', 'x', 'm1');
    new StatsLedger('k', stored).seed(await b.readLedger(b.ledgerKey('m1', 'mid')));
    expect([stored.packetsIn, stored.packetsOut]).toEqual([24 * 8, 24 * 8]);
    mid.close();
    last.close();
  });

  test('a group the hop only partly takes commits a prefix; a stage that dies then restarts from exactly what was acknowledged', async () => {
    const prefix = `vnflab:groups:${process.pid}-${++n}`;
    const setup = bus(prefix);
    await setup.whenReady();
    const gen = setup.producer('mid');
    for (let i = 1; i <= 12; i++) expect(await gen.send(batch(i))).toBe(true);
    await setup.createGroup(setup.streamKey('last'), 'last');

    // the first instance: its output holds 5 batches and nobody reads it, so of the 12 it
    // processed only a prefix of 5 can commit and the rest wait for room when it dies
    const b1 = bus(prefix, { bound: 5, prefetch: 12 });
    const stats1 = new StageStats('mid', 'x', 'm1');
    const mid1 = b1.consumer('mid', 'mid', 'm1', { ledger: new StatsLedger(b1.ledgerKey('m1', 'mid'), stats1) });
    const fwd1 = b1.producer('last', { acks: mid1 });
    const sends: Promise<boolean>[] = [];
    while (sends.length < 12) {
      const d = await mid1.receive(50);
      if (!d) continue;
      count(stats1, d.batch);
      sends.push(fwd1.send(d.batch));
    }
    await Promise.race(sends);
    for (let i = 0; i < 100 && fwd1.commits.settledBatches < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fwd1.commits.settledBatches).toBe(5);
    expect(fwd1.waits).toBeGreaterThan(0); // the rest waits for room
    mid1.close();
    await b1.close(); // dies with 7 processed batches uncommitted
    await Promise.allSettled(sends);
    expect(await setup.cmd.xlen(setup.streamKey('last'))).toBe(5);
    expect((await setup.cmd.xpending(setup.streamKey('mid'), 'mid'))[0]).toBe(7);

    // the restarted instance seeds its counters from the ledger and takes back its own 7
    const b2 = bus(prefix, { bound: 64 });
    const stats2 = new StageStats('mid', 'x', 'm1');
    const ledger2 = new StatsLedger(b2.ledgerKey('m1', 'mid'), stats2);
    ledger2.seed(await b2.readLedger(b2.ledgerKey('m1', 'mid')));
    expect(stats2.packetsIn).toBe(5 * 8); // exactly the acknowledged prefix
    const mid2 = b2.consumer('mid', 'mid', 'm1', { ledger: ledger2 });
    const fwd2 = b2.producer('last', { acks: mid2 });
    const again: number[] = [];
    while (again.length < 7) {
      const d = await mid2.receive(50);
      if (!d) continue;
      again.push(d.batch.batchId);
      count(stats2, d.batch);
      expect(await fwd2.send(d.batch)).toBe(true);
    }
    expect(again).toEqual([6, 7, 8, 9, 10, 11, 12]);
    expect(stats2.packetsIn).toBe(12 * 8); // every batch counted once across the two lives
    expect(ledger2.consumed).toBe(12 * 8);
    const last = setup.consumer('last', 'last', 'l1');
    expect(await ids(last, 12)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    mid2.close();
    last.close();
  });

  test('a batch refused at a full hop keeps its place: acknowledged with its drops counted, before anything behind it', async () => {
    const prefix = `vnflab:groups:${process.pid}-${++n}`;
    const b = bus(prefix, { bound: 2, policy: 'drop', prefetch: 8 });
    await b.whenReady();
    const gen = new RedisBus({ url: redis.url, prefix, bound: 64 });
    buses.push(gen);
    const g = gen.producer('mid');
    for (let i = 1; i <= 6; i++) expect(await g.send(batch(i))).toBe(true);
    await b.createGroup(b.streamKey('last'), 'last');
    const stats = new StageStats('mid', 'x', 'm1');
    const mid = b.consumer('mid', 'mid', 'm1', { ledger: new StatsLedger(b.ledgerKey('m1', 'mid'), stats) });
    const fwd = b.producer('last', { acks: mid });
    const full = reasonCode('bus_full');
    const sends: Promise<boolean>[] = [];
    while (sends.length < 6) {
      const d = await mid.receive(50);
      if (!d) continue;
      count(stats, d.batch);
      const k = d.batch.count;
      sends.push(
        fwd.send(d.batch, () => {
          stats.drop(full, k);
          stats.packetsOut -= k;
        }),
      );
    }
    expect(await Promise.all(sends)).toEqual([true, true, false, false, false, false]);
    expect(fwd.refused).toBe(4);
    expect((await b.cmd.xpending(b.streamKey('mid'), 'mid'))[0]).toBe(0); // all six acknowledged
    expect(await b.cmd.xlen(b.streamKey('last'))).toBe(2);
    const stored = new StageStats('mid', 'x', 'm1');
    new StatsLedger('k', stored).seed(await b.readLedger(b.ledgerKey('m1', 'mid')));
    expect([stored.packetsIn, stored.packetsOut, stored.drops[full]]).toEqual([48, 16, 32]);
    expect(fwd.ledger.produced).toBe(16);
    expect(MAX_GROUP).toBeGreaterThan(1);
    mid.close();
  });

  test('a restarted stage that reads ahead takes back each of its own pending batches once, though they stay pending while in flight', async () => {
    const prefix = `vnflab:groups:${process.pid}-${++n}`;
    const b1 = bus(prefix, { prefetch: 4 });
    await b1.whenReady();
    const gen = b1.producer('mid');
    for (let i = 1; i <= 12; i++) expect(await gen.send(batch(i))).toBe(true);
    await b1.createGroup(b1.streamKey('last'), 'last');
    // the first life reads all twelve and dies before committing any
    const mid1 = b1.consumer('mid', 'mid', 'm1', {});
    let read = 0;
    while (read < 12) if (await mid1.receive(50)) read++;
    mid1.close();
    await b1.close();

    const b2 = bus(prefix, { prefetch: 4 });
    await b2.whenReady();
    expect((await b2.cmd.xpending(b2.streamKey('mid'), 'mid'))[0]).toBe(12);
    const stats = new StageStats('mid', 'x', 'm1');
    const mid2 = b2.consumer('mid', 'mid', 'm1', {
      ledger: new StatsLedger(b2.ledgerKey('m1', 'mid'), stats),
      readAhead: true,
      dedup: new BatchDedup(),
    });
    const fwd = b2.producer('last', { acks: mid2 });
    const got: number[] = [];
    const sends: Promise<boolean>[] = [];
    for (let tries = 0; tries < 200 && got.length < 12; tries++) {
      const d = await mid2.receive(50);
      if (!d) continue;
      got.push(d.batch.batchId);
      count(stats, d.batch);
      sends.push(fwd.send(d.batch)); // in flight: its input stays pending while the next read goes
    }
    expect(await Promise.all(sends)).toEqual(Array(12).fill(true));
    expect(got).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(mid2.duplicateBatches).toBe(0);
    expect((await b2.cmd.xpending(b2.streamKey('mid'), 'mid'))[0]).toBe(0);
    expect(await b2.cmd.xlen(b2.streamKey('last'))).toBe(12);
    mid2.close();
  });

  test('a batch another consumer took over is left to it; the batches before and after it in the group commit', async () => {
    const prefix = `vnflab:groups:${process.pid}-${++n}`;
    const b = bus(prefix, { prefetch: 4 });
    await b.whenReady();
    const gen = b.producer('mid');
    for (let i = 1; i <= 4; i++) expect(await gen.send(batch(i))).toBe(true);
    await b.createGroup(b.streamKey('last'), 'last');
    const stats = new StageStats('mid', 'x', 'm1');
    const mid = b.consumer('mid', 'mid', 'm1', { ledger: new StatsLedger(b.ledgerKey('m1', 'mid'), stats) });
    const fwd = b.producer('last', { acks: mid });
    const held: { id: string; batch: Batch }[] = [];
    const sends: Promise<boolean>[] = [];
    while (sends.length < 4) {
      const d = await mid.receive(50);
      if (!d) continue;
      held.push(d as unknown as { id: string; batch: Batch });
      if (held.length === 3) {
        // m2 takes batch 3 over while it is in m1's hand (as XAUTOCLAIM does after a stall)
        await b.cmd.xclaim(b.streamKey('mid'), 'mid', 'm2', 0, held[2].id);
      }
      count(stats, d.batch);
      sends.push(fwd.send(d.batch));
    }
    expect(await Promise.all(sends)).toEqual([true, true, true, true]);
    const out = (await b.cmd.xrange(b.streamKey('last'), '-', '+')).length;
    expect(out).toBe(3);
    const last = b.consumer('last', 'last', 'l1');
    expect(await ids(last, 3)).toEqual([1, 2, 4]);
    const pending = (await b.cmd.xpending(b.streamKey('mid'), 'mid')) as [number, string, string, [string, string][]];
    expect(pending[0]).toBe(1);
    expect(pending[3]).toEqual([['m2', '1']]); // m1 acknowledged its three; the fourth is m2's
    const stored = new StageStats('mid', 'x', 'm1');
    new StatsLedger('k', stored).seed(await b.readLedger(b.ledgerKey('m1', 'mid')));
    expect([stored.packetsIn, stored.packetsOut]).toEqual([24, 24]); // batch 3 is m2's to count
    expect([stats.packetsIn, stats.packetsOut]).toEqual([24, 24]);
    mid.close();
    last.close();
  });
  test('a middle stage decodes into its pool and gets each batch back once its forward is committed: the pool stays at what is in flight, every forward carries its own bytes', async () => {
    const prefix = `vnflab:groups:${process.pid}-${++n}`;
    const total = 120;
    const b = bus(prefix, { prefetch: 4, bound: 2 * total }); // nothing reads the output meanwhile
    await b.whenReady();
    const gen = b.producer('mid');
    for (let i = 1; i <= total; i++) expect(await gen.send(batch(i))).toBe(true);
    const pool = new BatchPool(8, 128);
    const mid = b.consumer('mid', 'mid', 'm1', { readAhead: true, pool });
    const fwd = b.producer('last', { acks: mid, release: (x) => pool.put(x) });
    const last = b.consumer('last', 'last', 'l1');
    await last.receive(10);
    const sends = new Set<Promise<boolean>>();
    let forwarded = 0;
    while (forwarded < total) {
      const d = await mid.receive(50);
      if (!d) continue;
      forwarded++;
      // what an element does in place: the frames now say which batch they belong to, twice over
      for (let i = 0; i < d.batch.count; i++) d.batch.buf[d.batch.offset(i) + 1] = d.batch.batchId & 0xff;
      const p = fwd.send(d.batch);
      sends.add(p);
      void p.finally(() => sends.delete(p));
      if (sends.size >= MAX_GROUP) await Promise.race(sends);
    }
    await Promise.all(sends);
    // what was in flight at once (MAX_GROUP sends, a read ahead, the batch in hand), not one per batch
    expect(pool.allocated).toBeGreaterThan(0);
    expect(pool.allocated).toBeLessThanOrEqual(MAX_GROUP + 2 * 4 + 1);
    expect(pool.available).toBe(pool.allocated); // every one given back
    const seen: number[] = [];
    for (let tries = 0; tries < 400 && seen.length < total; tries++) {
      const d = await last.receive(50);
      if (!d) continue;
      const id = d.batch.batchId & 0xff;
      for (let i = 0; i < d.batch.count; i++) {
        const at = d.batch.offset(i);
        expect([d.batch.buf[at], d.batch.buf[at + 1], d.batch.buf[at + 59]]).toEqual([id, id, id]);
      }
      seen.push(d.batch.batchId);
      await last.ack(d);
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    mid.close();
    last.close();
  });
  test("a consumer decodes into its pool up to DECODE_POOL_BYTES of pooled batches, then into batches of the packets' size", async () => {
    const prefix = `vnflab:groups:${process.pid}-${++n}`;
    const b = bus(prefix, { prefetch: 4 });
    await b.whenReady();
    const gen = b.producer('mid');
    for (let i = 1; i <= 3; i++) expect(await gen.send(batch(i))).toBe(true);
    const pool = new BatchPool(1024, 9000); // jumbo frames: one pooled batch holds about 9 MiB
    expect(2 * pool.bytesEach).toBeGreaterThan(DECODE_POOL_BYTES);
    const mid = b.consumer('mid', 'mid', 'm1', { pool });
    const held = [];
    for (let tries = 0; tries < 100 && held.length < 3; tries++) {
      const d = await mid.receive(50);
      if (d) held.push(d); // none given back
    }
    expect(held.map((d) => d.batch.capacity)).toEqual([1024, 8, 8]);
    expect(pool.allocated).toBe(1);
    mid.close();
  });
});
