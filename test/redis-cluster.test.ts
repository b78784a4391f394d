// The bus on a Redis Cluster of three masters, started here on three free ports and removed
// afterwards: `vnflab run --bus redis+cluster://…` carries the default chain with its accounting
// closed exactly, the hops' keys land on more than one master (each hop whole in one slot: its
// hash tag), and the run's keys are deleted from every master.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Batch,
  BatchDedup,
  RedisBus,
  StageStats,
  StatsLedger,
  encodeBatch,
  keySlot,
  type RedisDelivery,
} from '@vnflab/core';
import { createRegistry } from '@vnflab/cli';
import { vnflab } from './helpers/cli';
import { freePort, waitFor } from './helpers/ports';
import { REDIS_SERVER } from './helpers/redis';
import { ServicesRun, defaultStages, finishedSummary, writeChain } from './helpers/services';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-cluster-'));
const servers: ChildProcess[] = [];
let ports: number[] = [];

createRegistry();

function cli(port: number, ...args: string[]): string {
  return spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout ?? '';
}

/** Master port of every slot range, from CLUSTER NODES (asked of one node). */
function slotOwners(): { from: number; to: number; port: number }[] {
  const out: { from: number; to: number; port: number }[] = [];
  // <id> <ip:port@cport> <flags> <master> <ping> <pong> <config-epoch> <link> <slot ranges...>
  for (const line of cli(ports[0], 'CLUSTER', 'NODES').split('\n').filter(Boolean)) {
    const f = line.split(' ');
    if (!f[2].includes('master')) continue;
    const port = Number(/:(\d+)@/.exec(f[1])![1]);
    for (const range of f.slice(8)) {
      const [from, to] = range.split('-').map(Number);
      out.push({ from, to: to ?? from, port });
    }
  }
  return out;
}

beforeAll(async () => {
  ports = [await freePort(), await freePort(), await freePort()];
  for (const p of ports) {
    servers.push(
      spawn(
        REDIS_SERVER,
        [
          '--port',
          String(p),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${p}.conf`),
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
        ],
        { stdio: 'ignore' },
      ),
    );
  }
  for (const p of ports)
    await waitFor(`redis-server on ${p}`, async () => (cli(p, 'PING').trim() === 'PONG' ? true : undefined), 10000, 50);
  const made = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${made.stdout}\n${made.stderr}`);
  for (const p of ports)
    await waitFor(
      'cluster_state:ok',
      async () => (/cluster_state:ok/.test(cli(p, 'CLUSTER', 'INFO')) ? true : undefined),
      20000,
      100,
    );
}, 60000);

afterAll(async () => {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise((r) => {
          if (s.exitCode !== null) return r(undefined);
          s.once('exit', r);
          s.kill('SIGKILL');
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
});

describe('the bus on a three-master Redis Cluster', () => {
  test('keySlot agrees with CLUSTER KEYSLOT, hash tags included', () => {
    for (const k of ['foo', '{vnflab:svc:r1:hop:nic}', '{vnflab:svc:r1:hop:nic}:ledger:nic', 'a{}b', '{}{x}', 'x{y}z'])
      expect(`${k} ${keySlot(k)}`).toBe(`${k} ${cli(ports[0], 'CLUSTER', 'KEYSLOT', k).trim()}`);
  });

  test('vnflab run --bus redis+cluster://: the default chain closes its accounting exactly, its hops on different masters', async () => {
    const chain = writeChain(join(dir, 'chain.json'), { traffic: { count: 20000 } });
    const json = join(dir, 'summary.json');
    // the keys stay after the run (VNFLAB_KEEP_KEYS), to see where they are
    const run = new ServicesRun(
      ['--bus', `redis+cluster://127.0.0.1:${ports[0]}`, '--config', chain, '--json', json, '--quiet'],
      {
        VNFLAB_KEEP_KEYS: '1',
      },
    );
    const s = await finishedSummary(run, json);
    expect(s.sent).toBe(20000);
    expect(s.sent).toBe(s.received + s.drops_total);
    expect(s.accounting_closed).toBe(true);
    expect(s.bus.lost).toEqual({});

    // every hop's stream, on the master that owns its slot, with its ledgers in the same slot
    const owners = slotOwners();
    expect(owners.reduce((n, o) => n + o.to - o.from + 1, 0)).toBe(16384);
    const ownerOf = (slot: number): number => owners.find((o) => slot >= o.from && slot <= o.to)!.port;
    const hops = defaultStages()
      .slice(1)
      .map((st) => st.name);
    const streams = ports.flatMap((p) => cli(p, 'KEYS', '{vnflab:svc:*:hop:*}').split('\n').filter(Boolean));
    expect(streams.sort()).toEqual(hops.map((h) => `{vnflab:svc:${s.bus.run}:hop:${h}}`).sort());
    const masters = new Set<number>();
    for (const k of streams) {
      const slot = Number(cli(ports[0], 'CLUSTER', 'KEYSLOT', k).trim());
      expect(slot).toBe(keySlot(k));
      const port = ownerOf(slot);
      expect(cli(port, 'EXISTS', k).trim()).toBe('1');
      // the hop's stream, epoch and the ledgers of the instances reading it share the slot
      expect(Number(cli(port, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot)).trim())).toBeGreaterThanOrEqual(3);
      masters.add(port);
    }
    expect(masters.size).toBeGreaterThanOrEqual(2);

    // the run's keys go from every master
    const bus = new RedisBus({ url: `redis+cluster://127.0.0.1:${ports[0]}`, prefix: `vnflab:svc:${s.bus.run}` });
    try {
      await bus.whenReady();
      expect(await bus.deleteRunKeys()).toBeGreaterThan(streams.length);
    } finally {
      await bus.close();
    }
    for (const p of ports) expect(`${p}: ${cli(p, 'DBSIZE').trim()}`).toBe(`${p}: 0`);
  }, 240000);

  test('a split commit: resent, it adds nothing twice; cut between its halves, the input is forwarded again and the copy counted duplicate', async () => {
    const opts = {
      url: `redis+cluster://127.0.0.1:${ports[0]}`,
      prefix: `vnflab:split:${process.pid}`,
      claimIdleMs: 60000,
      blockMs: 20,
    };
    const a = new RedisBus(opts);
    const b = new RedisBus(opts);
    try {
      await a.whenReady();
      const mid = a.streamKey('mid');
      const last = a.streamKey('last');
      expect(keySlot(mid)).not.toBe(keySlot(last)); // so its commits are split
      const gen = a.producer('mid');
      for (const id of [1, 2]) {
        const x = Batch.allocate(8, 128);
        for (let i = 0; i < 8; i++) x.append(60);
        x.batchId = id;
        expect(await gen.send(x)).toBe(true);
      }
      await a.createGroup(last, 'last');
      const m1 = a.consumer('mid', 'mid', 'm1');
      const d1 = (await m1.receive(200)) as RedisDelivery;
      const d2 = (await m1.receive(200)) as RedisDelivery;
      expect([d1.batch.batchId, d2.batch.batchId]).toEqual([1, 2]);
      // the same commit twice, as after a reply lost on the way
      const req = {
        input: { stream: mid, group: 'mid', consumer: 'm1', epoch: d1.epoch },
        output: { stream: last, group: 'last' },
        ledgerKey: a.ledgerKey('m1', 'mid'),
        items: [{ id: d1.id, bytes: encodeBatch(d1.batch), value: 'after batch 1' }],
      };
      expect(await a.commit(req)).toMatchObject({ status: 1, done: 1 });
      expect(await a.commit(req)).toMatchObject({ status: 2, done: 1 });
      expect(await a.cmd.xlen(last)).toBe(1);
      expect(await a.cmd.hget(a.ledgerKey('m1', 'mid'), 'v')).toBe('after batch 1');
      // batch 2: only the first half (the adds), then the process is gone
      await a.cmd.vnflabForward(2, last, a.sentKey(last), 'last', 16, 0, 'm1', 'gone', 1, d2.id, encodeBatch(d2.batch));
      m1.close();
      expect(await a.cmd.xlen(last)).toBe(2);
      expect((await a.cmd.xpending(mid, 'mid'))[0]).toBe(1);

      // m1 again, a new process: it takes back batch 2 and forwards it with its acknowledgement
      await b.whenReady();
      const again = b.consumer('mid', 'mid', 'm1', {
        ledger: new StatsLedger(b.ledgerKey('m1', 'mid'), new StageStats('mid', 'x', 'm1')),
      });
      const fwd = b.producer('last', { acks: again });
      const d = await again.receive(200);
      expect(d?.batch.batchId).toBe(2);
      expect(await fwd.send(d!.batch)).toBe(true);
      expect((await b.cmd.xpending(mid, 'mid'))[0]).toBe(0);
      expect(again.ledger.consumed).toBe(8);

      // downstream: batch 1, batch 2 and its copy; the copy is a duplicate, not consumed
      const sink = b.consumer('last', 'last', 's1', {
        dedup: new BatchDedup(),
        ledger: new StatsLedger(b.ledgerKey('s1', 'last'), new StageStats('backends', 'sink')),
      });
      const seen: number[] = [];
      for (let tries = 0; tries < 50 && seen.length < 3; tries++) {
        const x = await sink.receive(50);
        if (!x) continue;
        seen.push(x.batch.batchId);
        await sink.ack(x);
      }
      expect(seen).toEqual([1, 2, 2]);
      expect(sink.duplicateBatches).toBe(1);
      expect(sink.ledger.consumed).toBe(16);
      again.close();
      sink.close();
      await b.deleteRunKeys();
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a redis+cluster:// URL naming a database, or given to vnflab autoscale, is refused in one line (exit 2)', () => {
    const r = vnflab(['run', '--bus', `redis+cluster://127.0.0.1:${ports[0]}/3`, '--json', join(dir, 'x.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^vnflab: --bus: .* names a database; a Redis Cluster has only database 0$/);
    // vnflab autoscale reads one Redis: it says which master to give it
    const a = vnflab([
      'autoscale',
      'kernel-path',
      '--min',
      '1',
      '--max',
      '3',
      '--lag',
      '4',
      '--bus',
      `redis+cluster://127.0.0.1:${ports[0]}`,
    ]);
    expect(a.status).toBe(2);
    expect(a.stderr.trim()).toMatch(/^vnflab: --bus: autoscale reads one Redis, not a cluster .*CLUSTER KEYSLOT/);
  });
});
