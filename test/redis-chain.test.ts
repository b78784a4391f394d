// The chain as services (`vnflab run --bus`), every stage its own process on a real
// redis-server: the accounting closes with drops only for known reasons, through a stage killed
// with -9, a Redis that restarts empty, a replica that drains and leaves, a Ctrl-C, and 30 s of
// overload with memory staying bounded. The middle stages come from chains/default.yaml.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_GROUP, knownReasons } from '@vnflab/core';
import { createRegistry, type ServicesSummary } from '@vnflab/cli';
import { waitFor } from './helpers/ports';
import { TestRedis } from './helpers/redis';
import {
  ServicesRun,
  defaultStages,
  finishedSummary,
  readyz,
  stats,
  victimStage,
  writeChain,
} from './helpers/services';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-redis-'));
let redis: TestRedis;
let seq = 0;

createRegistry(); // registers every stage's drop reasons in this process
const KNOWN = new Set(knownReasons());

type Summary = ServicesSummary; // the JSON `vnflab run --bus --json` writes

function expectClosed(s: Summary, extraReasons: string[] = []): void {
  expect(s.sent).toBeGreaterThan(0);
  expect(s.sent).toBe(s.received + s.drops_total);
  expect(s.accounting_closed).toBe(true);
  const allowed = new Set([...KNOWN, ...extraReasons]);
  for (const d of Object.values(s.drops))
    for (const r of Object.keys(d)) expect(allowed.has(r) ? r : `unknown reason ${r}`).toBe(r);
}

function files(): { chain: string; json: string; log: string } {
  const n = ++seq;
  return {
    chain: join(dir, `chain-${n}.json`),
    json: join(dir, `summary-${n}.json`),
    log: join(dir, `logs-${n}.jsonl`),
  };
}

/**
 * Waits until the generator has sent its first packets: on a loaded machine the stages take tens
 * of seconds to start and become ready, so a wait for traffic through a stage starts here.
 */
async function trafficStarted(run: ServicesRun): Promise<void> {
  const gen = await run.started(defaultStages()[0].name, 1, 90000);
  await waitFor(
    'the generator sending',
    async () => ((await stats(gen.port)).stats.packets_out > 0 ? true : undefined),
    90000,
  );
}

beforeAll(async () => {
  redis = await TestRedis.start();
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('vnflab run --bus', () => {
  test('the whole chain across processes: accounting closes, drops only with known reasons, per-stage latency', async () => {
    const f = files();
    writeChain(f.chain, { traffic: { count: 60000 } });
    const run = new ServicesRun(['--bus', redis.url, '--config', f.chain, '--json', f.json, '--log-file', f.log]);
    const s = await finishedSummary(run, f.json);
    expectClosed(s);
    expect(s.sent).toBe(60000);
    expect(s.bus.lost).toEqual({});
    expect(s.stages.map((x) => x.instance)).toEqual(defaultStages().map((x) => x.name));
    for (const st of s.stages.slice(1)) {
      expect(st.latency_seconds.queue.p50).toBeGreaterThan(0); // from the CLOCK_MONOTONIC stamp in the batch header
      expect(st.latency_seconds.process.p50).toBeGreaterThan(0);
    }
    expect(s.latency_seconds.p50).toBeGreaterThan(0);
    // each stage process's waits for a CPU, from the kernel (seconds, not its nanoseconds), in
    // the JSON and on the summary's own line
    for (const st of s.stages) {
      expect(st.run_queue?.periods).toBeGreaterThan(0);
      expect(st.run_queue!.wait_seconds).toBeLessThan(st.run_queue!.uptime_seconds);
    }
    expect(run.stdout).toMatch(
      /^waiting for a CPU \(the kernel's run queue; .*\): traffic-gen [\d.]+ % of \d+ s \(\d+ µs a time\), nic /m,
    );
    // every service logged JSON lines with its stage and variant
    const lines = readFileSync(f.log, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{"level"'))
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(typeof l.stage).toBe('string');
      expect(typeof l.variant).toBe('string');
    }
  }, 120000);

  test('kill -9 of a stage mid-run: it is started again, takes back its batches, nothing is lost', async () => {
    const f = files();
    const victim = victimStage();
    writeChain(f.chain, { traffic: { rate: 25000, duration: 7 } });
    const run = new ServicesRun(['--bus', redis.url, '--config', f.chain, '--json', f.json, '--quiet']);
    const first = await run.started(victim);
    await trafficStarted(run);
    await waitFor('packets through the victim', async () =>
      (await stats(first.port)).stats.packets_in > 20000 ? true : undefined,
    );
    process.kill(first.pid, 'SIGKILL');
    const second = await run.started(victim, 2);
    expect(second.pid).not.toBe(first.pid);
    const s = await finishedSummary(run, f.json);
    expectClosed(s);
    expect(s.restarts[victim]).toBe(1);
    expect(s.bus.lost).toEqual({}); // no packet lost: the restarted stage took back what it held
    // only what the killed stage had in hand can come round again (a read of VNFLAB_PREFETCH 4
    // batches of 64, the read ahead of it, and up to MAX_GROUP commits in flight), and the next
    // stage's batch dedup drops those: nothing reaches the backends twice
    expect(s.duplicates).toBeLessThanOrEqual((2 * 4 + MAX_GROUP) * 64);
    const row = s.stages.find((x) => x.instance === victim)!;
    expect(row.packets_in).toBeGreaterThan(20000); // counts carried on from the ledger
  }, 120000);

  test('redis-server restarts empty mid-run: stages are not ready meanwhile, reconnect by themselves, and every packet is received or counted lost', async () => {
    const f = files();
    const victim = victimStage();
    writeChain(f.chain, { traffic: { rate: 20000, duration: 8 } });
    const run = new ServicesRun(['--bus', redis.url, '--config', f.chain, '--json', f.json, '--quiet']);
    const v = await run.started(victim);
    await waitFor('packets through the victim', async () =>
      (await stats(v.port)).stats.packets_in > 10000 ? true : undefined,
    );
    await redis.kill();
    await waitFor(
      '/readyz false while redis is down',
      async () => ((await readyz(v.port)) === 503 ? true : undefined),
      10000,
      50,
    );
    await new Promise((r) => setTimeout(r, 1000));
    await redis.up();
    await waitFor('/readyz true again', async () => ((await readyz(v.port)) === 200 ? true : undefined), 15000, 100);
    const s = await finishedSummary(run, f.json);
    expectClosed(s, ['bus_lost']);
    expect(s.restarts).toEqual({}); // nobody crashed: they rode it out
    expect(s.stages.find((x) => x.instance === victim)!.bus.reconnects).toBeGreaterThan(0);
    // at most what Redis held when it died: every hop at its bound (16 batches of 64) plus what
    // each stage had read ahead (4 batches)
    const lost = Object.values(s.bus.lost).reduce((a, b) => a + b, 0);
    const hops = s.stages.length - 1;
    expect(lost).toBeLessThanOrEqual(hops * (16 + 4) * 64);
    expect(s.received).toBeGreaterThan(0);
  }, 120000);

  test('two replicas share a stage, and one leaving with SIGTERM drains and loses nothing', async () => {
    const f = files();
    const stage = victimStage();
    writeChain(f.chain, { traffic: { rate: 25000, duration: 7 }, replicas: { [stage]: 2 } });
    const run = new ServicesRun(['--bus', redis.url, '--config', f.chain, '--json', f.json, '--quiet']);
    const a = await run.started(`${stage}-0`);
    const b = await run.started(`${stage}-1`);
    await trafficStarted(run);
    await waitFor('both replicas busy', async () => {
      const [x, y] = await Promise.all([stats(a.port), stats(b.port)]);
      return x.stats.packets_in > 5000 && y.stats.packets_in > 5000 ? true : undefined;
    });
    process.kill(b.pid, 'SIGTERM');
    await waitFor(
      'the replica drained and left',
      async () => (run.stderr.includes(`${stage}-1 drained and left (exit 0)`) ? true : undefined),
      30000,
      50,
    );
    const s = await finishedSummary(run, f.json);
    expectClosed(s);
    expect(s.bus.lost).toEqual({});
    const rows = s.stages.filter(
      (x) => x.stage === s.stages.find((y) => y.instance === `${stage}-0`)!.stage && x.instance.startsWith(`${stage}-`),
    );
    expect(rows.map((x) => x.instance)).toEqual([`${stage}-0`, `${stage}-1`]);
    for (const r of rows) expect(r.packets_in).toBeGreaterThan(5000);
    expect(rows[1].left).toBe(true);
    expect(s.restarts).toEqual({});
  }, 120000);

  test('Ctrl-C stops the generator and every stage drains: exit 0, nothing lost', async () => {
    const f = files();
    writeChain(f.chain, { traffic: { rate: 30000 } }); // no count, no duration: until Ctrl-C
    const run = new ServicesRun(['--bus', redis.url, '--config', f.chain, '--json', f.json, '--quiet']);
    const sink = defaultStages().slice(-1)[0].name;
    const b = await run.started(sink);
    await waitFor('traffic at the backends', async () =>
      (await stats(b.port)).stats.packets_in > 10000 ? true : undefined,
    );
    run.child.kill('SIGINT');
    const s = await finishedSummary(run, f.json);
    expectClosed(s);
    expect(s.bus.lost).toEqual({});
    expect(s.stages.find((x) => x.instance === defaultStages()[0].name)!.left).toBe(true); // the generator drained and exited 0
  }, 120000);

  test('Ctrl-C in a terminal (SIGINT to the whole process group): the supervisor alone stops the run, in order; no stage restarts; the bus URL is on no command line', async () => {
    const f = files();
    writeChain(f.chain, { traffic: { rate: 20000 } });
    const run = new ServicesRun(
      ['--bus', redis.url, '--config', f.chain, '--json', f.json, '--quiet'],
      {},
      { detached: true },
    );
    const sink = defaultStages().slice(-1)[0].name;
    const b = await run.started(sink);
    await waitFor('traffic at the backends', async () =>
      (await stats(b.port)).stats.packets_in > 10000 ? true : undefined,
    );
    // every child's argv, as ps shows it: the Redis URL (which may carry a password) is not there
    for (const [, started] of run.instances) {
      const argv = readFileSync(`/proc/${started.pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toContain('serve');
      expect(argv.join(' ')).not.toContain(redis.url);
    }
    process.kill(-run.child.pid!, 'SIGINT'); // what the terminal sends on Ctrl-C
    const s = await finishedSummary(run, f.json);
    expectClosed(s);
    expect(s.restarts).toEqual({});
    expect(s.bus.lost).toEqual({});
  }, 120000);

  test('Ctrl-C while the stages are still starting is kept: the run stops as soon as the generator starts, with its summary', async () => {
    const f = files();
    const count = 1_000_000; // 200 s at this rate: a lost Ctrl-C would send them all
    writeChain(f.chain, { traffic: { rate: 5000, count } });
    const run = new ServicesRun(
      ['--bus', redis.url, '--config', f.chain, '--json', f.json, '--quiet'],
      {},
      { detached: true },
    );
    // the first consumer is up; the generator starts last, after every stage is ready
    await run.started(defaultStages()[1].name);
    expect(run.starts.has(defaultStages()[0].name)).toBe(false);
    process.kill(-run.child.pid!, 'SIGINT');
    const timedOut = await Promise.race([
      run.done.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), 90000)),
    ]);
    if (timedOut) process.kill(-run.child.pid!, 'SIGINT'); // a second Ctrl-C: exits, taking the stages along
    expect(timedOut).toBe(false);
    const s = await finishedSummary(run, f.json);
    expect(s.sent).toBeLessThan(count);
    expect(s.sent).toBe(s.received + s.drops_total);
    expect(s.accounting_closed).toBe(true);
    expect(s.restarts).toEqual({});
    expect(redis.cli('--scan', '--pattern', 'vnflab:*').trim()).toBe('');
  }, 120000);

  test('a run that fails leaves no keys in Redis: the stages that started had made streams and groups', async () => {
    const f = files();
    writeChain(f.chain, { traffic: { rate: 5000, count: 1000 } });
    // the last stage cannot open its capture: it fails at start, after the others made their keys
    const run = new ServicesRun([
      '--bus',
      redis.url,
      '--config',
      f.chain,
      '--capture',
      join(dir, 'no', 'such', 'x.pcap'),
      '--quiet',
    ]);
    const r = await run.done;
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ENOENT/);
    expect(redis.cli('--scan', '--pattern', 'vnflab:*').trim()).toBe('');
  }, 120000);

  test('30 s of overload: Redis and every process stay bounded in memory, and the backpressure is counted', async () => {
    const f = files();
    const bound = 16;
    writeChain(f.chain, { traffic: { rate: 0, duration: 30 }, profile: 'linux-3.10-xeon', bound });
    const baseline = redis.usedMemory();
    const run = new ServicesRun(['--bus', redis.url, '--config', f.chain, '--json', f.json, '--quiet']);
    const names = defaultStages().map((s) => s.name);
    const ports = await Promise.all(names.map((n) => run.started(n)));
    // per process: live memory (JS heap in use + Buffers outside it) and resident memory
    const samples: { t: number; redis: number; live: number[]; rss: number[] }[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 29000) {
      await new Promise((r) => setTimeout(r, 2000));
      const mem = await Promise.all(
        ports.map((p) =>
          stats(p.port).then(
            (x) => ({ live: x.process.heap_used_bytes + x.process.external_bytes, rss: x.process.rss_bytes }),
            () => ({ live: NaN, rss: NaN }),
          ),
        ),
      );
      samples.push({
        t: (Date.now() - t0) / 1e3,
        redis: redis.usedMemory(),
        live: mem.map((m) => m.live),
        rss: mem.map((m) => m.rss),
      });
    }
    const s = await finishedSummary(run, f.json);
    expectClosed(s);
    // Redis holds at most `bound` batches per hop (64 packets of 64 B: about 8 KiB each)
    const hops = names.length - 1;
    const maxRedis = Math.max(...samples.map((x) => x.redis));
    expect(maxRedis - baseline).toBeLessThan(hops * bound * 8192 * 4 + 8 * 2 ** 20);
    // Each process: what it holds live (heap in use + Buffers) in the last third, as a median of
    // the 2 s samples, is at most the first two thirds' median + 48 MiB: an unbounded queue of
    // packets (about 3 MiB/s at 10k packets/s) fails. Medians, because the samples follow the
    // garbage collector's sawtooth (20-130 MiB here, while a heap snapshot finds 25-30 MiB live
    // all run long). Resident memory only gets a ceiling: it climbs for the first 10-60 s (heap
    // V8 commits and keeps; slower on a loaded machine) and then levels off.
    const median = (xs: number[]) => {
      const ys = xs.filter(Number.isFinite).sort((p, q) => p - q);
      return ys[Math.floor(ys.length / 2)];
    };
    const before = samples.filter((x) => x.t < 20);
    const late = samples.filter((x) => x.t >= 20);
    names.forEach((name, i) => {
      const grew = median(late.map((x) => x.live[i])) - median(before.map((x) => x.live[i]));
      expect({ name, grew_over_48MiB: grew > 48 * 2 ** 20 }).toEqual({ name, grew_over_48MiB: false });
      const rss = Math.max(...samples.map((x) => x.rss[i]).filter(Number.isFinite));
      expect({ name, rss_over_768MiB: rss > 768 * 2 ** 20 }).toEqual({ name, rss_over_768MiB: false });
    });
    // the generator outran the chain: it waited for room (policy block), and said so
    const gen = s.stages[0];
    expect(gen.bus.full_waits + (s.drops[names[0]]?.bus_full ?? 0)).toBeGreaterThan(0);
  }, 180000);
});
