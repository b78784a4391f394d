// Redis at maxmemory (noeviction) must never deadlock the chain: a hop is bounded in bytes as well
// as batches, hops that cannot fit maxmemory are refused at start, an out-of-memory answer becomes
// backpressure and then counted bus_oom drops, and acknowledgements always go through, so memory
// can be freed. Against a real redis-server with a 20 MB maxmemory; the memory that fills it is a
// key of the test's own, as another user of the same Redis would hold.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Batch,
  OOM_PATIENCE_MS,
  RedisBus,
  StageStats,
  StatsLedger,
  encodeBatch,
  busSection,
  defaultHopBoundBytes,
  hopBoundBytes,
  hopBytesRefusal,
  redisVersionRefusal,
  validateChain,
} from '@vnflab/core';
import { createRegistry, type ServicesSummary } from '@vnflab/cli';
import { TestRedis } from './helpers/redis';
import { ServicesRun, writeChain } from './helpers/services';

const MAXMEMORY = 20 * 2 ** 20;
let redis: TestRedis;
let n = 0;
const buses: RedisBus[] = [];
const dir = mkdtempSync(join(tmpdir(), 'vnflab-oom-'));

beforeAll(async () => {
  redis = await TestRedis.start(['--maxmemory', String(MAXMEMORY), '--maxmemory-policy', 'noeviction']);
});
afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  redis.cli('DEL', 'filler');
});

function bus(opts: Partial<ConstructorParameters<typeof RedisBus>[0]> = {}): RedisBus {
  const b = new RedisBus({ url: redis.url, prefix: `vnflab:oom:${process.pid}-${++n}`, blockMs: 20, ...opts });
  buses.push(b);
  return b;
}

function batch(id: number, packets = 8): Batch {
  const b = Batch.allocate(packets, 128);
  for (let i = 0; i < packets; i++) b.append(60);
  b.batchId = id;
  return b;
}

/** Fills Redis past its maxmemory with a key of its own (as another tenant's data would). */
function fill(): void {
  const room = MAXMEMORY - redis.usedMemory();
  expect(redis.cli('SETRANGE', 'filler', String(Math.max(room, 0) + 2 ** 20), 'x').trim()).toMatch(/^\d+$/);
  expect(redis.usedMemory()).toBeGreaterThan(MAXMEMORY);
}

describe('redis at maxmemory', () => {
  test('a hop is bounded in bytes: at bound_bytes a send is refused as bus_full long before the batch bound', async () => {
    const size = encodeBatch(batch(0)).length;
    const b = bus({ bound: 100, boundBytes: 3 * size, policy: 'drop', prefetch: 1 });
    await b.whenReady();
    const p = b.producer('sink');
    const c = b.consumer('sink', 'sink', 'c1');
    await c.receive(10); // makes the group, so acknowledged entries can be trimmed
    const accepted: boolean[] = [];
    for (let i = 1; i <= 5; i++) accepted.push(await p.send(batch(i)));
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(p.lastRefusal).toBe('bus_full');
    expect(await b.cmd.xlen(b.streamKey('sink'))).toBe(3);
    expect(Number(await b.cmd.hget(b.bytesKey(b.streamKey('sink')), 'added'))).toBe(3 * size);
    // one batch read and acknowledged makes room for exactly one more (the trim moves the floor)
    const d = await c.receive(50);
    await c.ack(d!);
    expect(await p.send(batch(6))).toBe(true);
    expect(await p.send(batch(7))).toBe(false);
    expect(await b.cmd.xlen(b.streamKey('sink'))).toBe(3);
  });

  test('out of memory: a forward is refused as bus_oom with nothing done, and its acknowledgement still goes through', async () => {
    const b = bus({ bound: 16, policy: 'drop' });
    await b.whenReady();
    const gen = b.producer('mid');
    const mid = b.consumer('mid', 'mid', 'm1', {
      ledger: new StatsLedger(b.ledgerKey('m1', 'mid'), new StageStats('x', 'y', 'm1')),
    });
    const fwd = b.producer('last', { acks: mid });
    const last = b.consumer('last', 'last', 'l1');
    await last.receive(10);
    for (let i = 1; i <= 3; i++) expect(await gen.send(batch(i))).toBe(true);

    fill();
    expect(await gen.send(batch(4))).toBe(false);
    expect(gen.lastRefusal).toBe('bus_oom');
    const d = await mid.receive(50);
    expect(d).not.toBeNull();
    // the forward would add: refused, and the input stays pending (nothing done)
    expect(await fwd.send(d!.batch)).toBe(false);
    expect(fwd.lastRefusal).toBe('bus_oom');
    expect(fwd.oomRefused).toBe(1);
    expect(await b.cmd.xlen(b.streamKey('last'))).toBe(0);
    expect((await b.cmd.xpending(b.streamKey('mid'), 'mid'))[0]).toBe(3); // one read took all three
    // the caller drops it and acknowledges its input: never refused, whatever the memory
    await mid.ack(d!);
    expect((await b.cmd.xpending(b.streamKey('mid'), 'mid'))[0]).toBe(2);
    expect(await b.cmd.hget(b.ledgerKey('m1', 'mid'), 'last_id')).toBe(d!.id);
    // the next refused add trims what was acknowledged: memory is freed, not only promised
    expect(await gen.send(batch(5))).toBe(false);
    expect(await b.cmd.xlen(b.streamKey('mid'))).toBe(2);

    redis.cli('DEL', 'filler');
    expect(await gen.send(batch(6))).toBe(true);
  });

  test('out of memory with policy block: backpressure for OOM_PATIENCE_MS, then refusals at once until an add succeeds', async () => {
    const b = bus({ bound: 16, policy: 'block' });
    await b.whenReady();
    const p = b.producer('sink');
    b.consumer('sink', 'sink', 'c1');
    expect(await p.send(batch(1))).toBe(true);
    fill();
    let t = performance.now();
    expect(await p.send(batch(2))).toBe(false);
    const waited = performance.now() - t;
    expect(waited).toBeGreaterThanOrEqual(OOM_PATIENCE_MS * 0.9);
    expect(waited).toBeLessThan(OOM_PATIENCE_MS * 3);
    expect(p.waits).toBe(1);
    t = performance.now();
    expect(await p.send(batch(3))).toBe(false);
    expect(performance.now() - t).toBeLessThan(OOM_PATIENCE_MS / 2);
    expect(p.oomRefused).toBe(2);
    redis.cli('DEL', 'filler');
    expect(await p.send(batch(4))).toBe(true);
    // a new episode waits again before it refuses
    fill();
    t = performance.now();
    expect(await p.send(batch(5))).toBe(false);
    expect(performance.now() - t).toBeGreaterThanOrEqual(OOM_PATIENCE_MS * 0.9);
  });

  test('hops whose byte bounds cannot fit maxmemory are refused in one line naming bus.bound_bytes', () => {
    const info = '# Memory\r\nused_memory:1000000\r\nmaxmemory:20971520\r\nmaxmemory_policy:noeviction\r\n';
    expect(hopBytesRefusal(info, 4, 3 * 2 ** 20, 'r')).toBeNull(); // 12 MiB of 15 MiB
    const why = hopBytesRefusal(info, 4, 4 * 2 ** 20, 'r');
    expect(why).toMatch(/^bus\.bound_bytes: 4 hops x 4 MiB = 16 MiB do not fit .* maxmemory of 20 MiB leaves 15 MiB/);
    expect(why).not.toContain('\n');
    expect(hopBytesRefusal(info.replace('maxmemory:20971520', 'maxmemory:0'), 4, 2 ** 40, 'r')).toBeNull();
  });

  test('bus.bound_bytes: a size, by default what the entry bound implies; a bad one named by its key', () => {
    const registry = createRegistry();
    const chain = (bus: unknown): unknown => ({
      name: 'c',
      batch_size: 32,
      bus,
      stages: [{ stage: 'traffic-gen' }, { stage: 'backends' }],
    });
    const given = validateChain(chain({ bound: 8, bound_bytes: '3MiB' }), registry);
    expect(hopBoundBytes(given)).toBe(3 * 2 ** 20);
    expect(busSection(given.bus)).toEqual({ bound: 8, bound_bytes: 3 * 2 ** 20, policy: 'block' });
    const implied = validateChain(chain({ bound: 8 }), registry);
    expect(implied.bus.boundBytes).toBeUndefined();
    expect(hopBoundBytes(implied)).toBe(defaultHopBoundBytes(8, 32));
    expect(defaultHopBoundBytes(8, 32)).toBe(8 * (48 + 32 * (28 + 1518 + 32)));
    expect(busSection(implied.bus)).toEqual({ bound: 8, policy: 'block' });
    expect(() => validateChain(chain({ bound_bytes: 'lots' }), registry)).toThrow(
      /^chain: bus\.bound_bytes: "lots" is not a size/,
    );
  });

  test('a Redis older than 7 (no script flags, so no acknowledgement out of memory) is refused in one line', () => {
    expect(redisVersionRefusal('redis_version:7.0.15\r\n', 'r')).toBeNull();
    expect(redisVersionRefusal('redis_version:6.2.14\r\n', 'r')).toMatch(
      /^--bus: Redis at r is version 6\.2\.14; the bus needs Redis 7 or later/,
    );
  });

  test('vnflab run --bus: bounds that would fill Redis are refused at start with exit 2', async () => {
    const chain = join(dir, 'big.json');
    writeChain(chain, { traffic: { duration: 5 }, bound: 1000 });
    const r = await new ServicesRun(['--bus', redis.url, '--config', chain]).done;
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bus\.bound_bytes: 4 hops x .* do not fit in Redis .* maxmemory of 20 MiB/);
  });

  test('vnflab run --bus: Redis filling up mid-run ends the run within its duration, every packet received or dropped as bus_oom', async () => {
    const chain = join(dir, 'oom.json');
    const json = join(dir, 'oom-summary.json');
    const DURATION = 6;
    writeChain(chain, { traffic: { duration: DURATION, rate: 20000 } });
    const run = new ServicesRun(['--bus', redis.url, '--config', chain, '--json', json]);
    await run.started('traffic-gen');
    await new Promise((r) => setTimeout(r, 1500));
    fill();
    const t0 = performance.now();
    const r = await run.done;
    const tail = (performance.now() - t0) / 1e3;
    expect(r.status).toBe(0);
    // the generator stops at its duration; draining and the summary take a few seconds more
    expect(tail).toBeLessThan(DURATION + 20);
    const s = JSON.parse(readFileSync(json, 'utf8')) as ServicesSummary;
    expect(s.accounting_closed).toBe(true);
    expect(s.sent).toBe(s.received + s.drops_total);
    expect(s.received).toBeGreaterThan(0);
    const oom = Object.values(s.drops).reduce((sum, d) => sum + (d.bus_oom ?? 0), 0);
    expect(oom).toBeGreaterThan(0);
  });
});
