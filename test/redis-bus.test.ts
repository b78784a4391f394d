// The Redis bus against a real redis-server: bounded hops that never exceed their bound and
// never trim what is unread, the drop policy, malformed entries, a consumer taking over another
// one's batches with exactly one commit winning, a restarted consumer taking back its own, the
// end of the stream travelling through a hop, and a wait shorter than Redis's timer tick.

import {
  Batch,
  BatchDedup,
  RedisBus,
  StageStats,
  StatsLedger,
  encodeBatch,
  reasonName,
  serverTickMs,
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

function bus(opts: Partial<ConstructorParameters<typeof RedisBus>[0]> = {}): RedisBus {
  const b = new RedisBus({
    url: redis.url,
    prefix: `vnflab:test:${process.pid}-${++n}`,
    bound: 4,
    claimIdleMs: 300,
    blockMs: 20,
    ...opts,
  });
  buses.push(b);
  return b;
}

function batch(id: number, packets = 8): Batch {
  const b = Batch.allocate(packets, 128);
  for (let i = 0; i < packets; i++) {
    const k = b.append(60);
    b.buf.fill(id & 0xff, b.offset(k), b.offset(k) + 60);
  }
  b.batchId = id;
  return b;
}

async function drainIds(c: RedisConsumer, until: (ids: number[]) => boolean, ack = true): Promise<number[]> {
  const ids: number[] = [];
  for (let tries = 0; tries < 500 && !until(ids); tries++) {
    const d = await c.receive(50);
    if (!d) continue;
    ids.push(d.batch.batchId);
    if (ack) await c.ack(d);
  }
  return ids;
}

describe('redis bus', () => {
  test('a bounded hop never holds more than its bound and delivers every batch once, in order', async () => {
    const b = bus({ bound: 4 });
    await b.whenReady();
    const p = b.producer('sink');
    const c = b.consumer('sink', 'sink', 'c1');
    const N = 120;
    let maxLen = 0;
    const sending = (async () => {
      for (let i = 1; i <= N; i++) {
        await p.send(batch(i));
        maxLen = Math.max(maxLen, await b.cmd.xlen(b.streamKey('sink')));
      }
    })();
    const got: number[] = [];
    while (got.length < N) {
      const d = await c.receive(50);
      if (!d) continue;
      got.push(d.batch.batchId);
      expect(d.batch.buf[d.batch.offset(0)]).toBe(d.batch.batchId & 0xff); // bytes intact
      // a slow consumer, so the producer keeps hitting the bound
      if (got.length % 7 === 0) await new Promise((r) => setTimeout(r, 5));
      await c.ack(d);
    }
    await sending;
    expect(got).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(maxLen).toBeLessThanOrEqual(4);
    expect(p.waits).toBeGreaterThan(0); // backpressure happened and was counted
    c.close();
  });

  test('policy drop refuses at the bound and never trims the unread batches', async () => {
    const b = bus({ bound: 3, policy: 'drop', prefetch: 1 }); // one batch per read: each ack commits
    await b.whenReady();
    const p = b.producer('sink');
    const results: boolean[] = [];
    for (let i = 1; i <= 6; i++) results.push(await p.send(batch(i)));
    expect(results).toEqual([true, true, true, false, false, false]);
    expect(p.refused).toBe(3);
    expect(await b.cmd.xlen(b.streamKey('sink'))).toBe(3);
    const c = b.consumer('sink', 'sink', 'c1');
    // read one and leave it unacknowledged: the next send trims nothing and is still refused
    const first = await c.receive(100);
    expect(first?.batch.batchId).toBe(1);
    expect(await p.send(batch(7))).toBe(false);
    await c.ack(first!);
    expect(await p.send(batch(8))).toBe(true); // only the acknowledged entry made room
    const rest = await drainIds(c, (ids) => ids.length >= 3);
    expect(rest).toEqual([2, 3, 8]);
    c.close();
  });

  test('a last stage acknowledges what one read delivered in one commit, after the last of it is processed', async () => {
    const b = bus({ bound: 8 });
    await b.whenReady();
    const stream = b.streamKey('sink');
    const stats = new StageStats('backends', 'sink');
    const c = b.consumer('sink', 'sink', 'c1', { ledger: new StatsLedger(b.ledgerKey('c1', 'sink'), stats) });
    const p = b.producer('sink');
    for (let i = 1; i <= 3; i++) await p.send(batch(i));
    const pending = async () => ((await b.cmd.xpending(stream, 'sink')) as [number])[0];
    for (let i = 1; i <= 3; i++) {
      const d = await c.receive(100);
      expect(d?.batch.batchId).toBe(i);
      expect(await pending()).toBe(3); // nothing acknowledged before it was processed
      await c.ack(d!);
    }
    expect(await pending()).toBe(0);
    expect(c.ledger.consumed).toBe(24);
    expect(c.inHand()).toBe(0);
    c.close();
  });

  test('a malformed entry on the stream is acknowledged and counted, and reading goes on', async () => {
    const b = bus({ bound: 8 });
    await b.whenReady();
    const stream = b.streamKey('sink');
    await b.cmd.xgroup('CREATE', stream, 'sink', '0', 'MKSTREAM');
    await b.cmd.xadd(stream, '*', 'b', Buffer.from('definitely not a batch'));
    await b.cmd.xadd(stream, '*', 'other', 'field');
    const bad = encodeBatch(batch(5));
    bad.writeUInt16BE(60000, 6); // more packets than the entry carries
    await b.cmd.xadd(stream, '*', 'b', bad);
    await b.cmd.xadd(stream, '*', 'b', encodeBatch(batch(6)).subarray(0, 100)); // truncated
    await b.producer('sink').send(batch(9));
    const c = b.consumer('sink', 'sink', 'c1');
    expect(await drainIds(c, (ids) => ids.length >= 1)).toEqual([9]);
    expect(c.malformed).toBe(4);
    expect(await b.cmd.xpending(stream, 'sink')).toEqual([0, null, null, null]);
    c.close();
  });

  test("a stopped consumer's batches are taken over, and only one of the two commits counts", async () => {
    const b = bus({ claimIdleMs: 200 });
    await b.whenReady();
    const statsA = new StageStats('lb', 'x', 'a');
    const statsB = new StageStats('lb', 'x', 'b');
    const a = b.consumer('mid', 'mid', 'a', { ledger: new StatsLedger(b.ledgerKey('a', 'mid'), statsA) });
    const bb = b.consumer('mid', 'mid', 'b', { ledger: new StatsLedger(b.ledgerKey('b', 'mid'), statsB) });
    const outA = b.producer('sink', { acks: a });
    const outB = b.producer('sink', { acks: bb });
    await b.producer('mid').send(batch(1));
    const da = await a.receive(100);
    expect(da?.batch.batchId).toBe(1);
    statsA.packetsIn += 8;
    a.close(); // a hangs: no heartbeat, no commit
    let db = null;
    for (let i = 0; i < 100 && !db; i++) db = await bb.receive(50);
    expect(db?.batch.batchId).toBe(1);
    expect(bb.claimed).toBe(1);
    statsB.packetsIn += 8;
    expect(await outB.send(db!.batch)).toBe(true);
    // a wakes up and tries to commit: refused, and its count of the batch is rolled back
    expect(await outA.send(da!.batch)).toBe(true);
    expect(statsA.packetsIn).toBe(0);
    expect(statsB.packetsIn).toBe(8);
    expect(outA.ledger.produced).toBe(0);
    expect(outB.ledger.produced).toBe(8);
    expect(await b.cmd.xlen(b.streamKey('sink'))).toBe(1); // forwarded once
    bb.close();
  });

  test('a restarted consumer takes back its own pending batches first', async () => {
    const b = bus({ claimIdleMs: 60000 });
    await b.whenReady();
    const p = b.producer('sink');
    for (let i = 1; i <= 3; i++) await p.send(batch(i));
    const first = b.consumer('sink', 'sink', 'same');
    const d = await first.receive(100);
    expect(d?.batch.batchId).toBe(1);
    first.close(); // dies holding batches 1..3 (prefetched), none acknowledged
    const again = b.consumer('sink', 'sink', 'same');
    expect(await drainIds(again, (ids) => ids.length >= 3)).toEqual([1, 2, 3]);
    again.close();
  });

  test('a batch delivered twice is marked duplicate and not counted as consumed', async () => {
    const b = bus();
    await b.whenReady();
    const stats = new StageStats('backends', 'sink');
    const c = b.consumer('sink', 'sink', 'c1', {
      dedup: new BatchDedup(),
      ledger: new StatsLedger(b.ledgerKey('c1', 'sink'), stats),
    });
    const p = b.producer('sink');
    await p.send(batch(42));
    await b.cmd.xadd(b.streamKey('sink'), '*', 'b', encodeBatch(batch(42))); // a copy
    const one = await c.receive(100);
    await c.ack(one!);
    const two = await c.receive(100);
    expect(two?.batch.alive(0)).toBe(false);
    expect(reasonName(two!.batch.reason(0))).toBe('duplicate');
    await c.ack(two!);
    expect(c.duplicateBatches).toBe(1);
    expect(c.ledger.consumed).toBe(8);
    c.close();
  });

  test('the end travels: a consumer ends only after the generator ended and its hop is drained', async () => {
    const b = bus();
    await b.whenReady();
    const p = b.producer('sink');
    const c = b.consumer('sink', 'sink', 'c1');
    await p.send(batch(1));
    await p.end();
    expect(c.ended).toBe(false);
    const d = await c.receive(100);
    expect(d?.batch.batchId).toBe(1);
    expect(await c.receive(20)).toBeNull();
    expect(c.ended).toBe(false); // batch 1 is still in hand
    await c.ack(d!);
    expect(await c.receive(20)).toBeNull();
    expect(c.ended).toBe(true);
    c.close();
  });

  test("a wait shorter than Redis's timer tick takes its own time, not the tick's", async () => {
    expect([serverTickMs('# Server\r\nhz:10\r\n'), serverTickMs('hz:100\r\n'), serverTickMs('')]).toEqual([
      100, 10, 100,
    ]);
    const b = bus({ blockMs: 100 });
    await b.whenReady();
    expect(b.blockTickMs).toBe(100); // redis-server's default hz 10, read from INFO server
    const c = b.consumer('tick', 'tick', 'c1');
    await c.receive(5); // creates the group
    // XREADGROUP BLOCK 5 came back after Redis's next tick, about 100 ms
    const took: number[] = [];
    for (let i = 0; i < 9; i++) {
      const t0 = performance.now();
      expect(await c.receive(5)).toBeNull();
      took.push(performance.now() - t0);
    }
    took.sort((x, y) => x - y);
    expect(took[4]).toBeLessThan(60);
    // a batch already on the hop is taken at once
    await b.producer('tick').send(batch(7));
    expect((await c.receive(5))?.batch.batchId).toBe(7);
    c.close();
  });
});
