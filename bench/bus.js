// The Redis bus benchmark, in one run against one redis-server started here (no persistence):
//  - a raw ioredis loop (XADD of a batch buffer; XREADGROUP + one XACK per read on a second
//    connection, the same COUNT and the same in-flight bound as the runtime, the stream trimmed
//    approximately far behind the reader) versus one hop of
//    the runtime (RedisProducer -> Redis -> RedisConsumer -> StageRunner -> commit) as a service
//    runs it (up to MAX_GROUP batches in flight, grouped commits, reads ahead), at 1, 32,
//    64 and 256 packets of 64 B per batch, with PING as the floor of one round trip;
//  - the whole chain (chains/default.yaml, batch 64) as services on Redis versus embedded:
//    packets/s and end-to-end p50/p99;
//  - one hop's latency when its consumer sleeps between batches (a paced stage): a second process
//    adds an entry 200 times a second and the consumer takes the time its blocking read's reply
//    wakes it, on a raw socket and through ioredis, set against the chain as services at 200
//    packets/s (each hop's queueing time, from the stages' own histograms);
//  - what Node's default metrics cost a process that is otherwise idle, with the event-loop lag
//    sampled at prom-client's default 10 ms against the lab's 100 ms (core/metrics/node-metrics.ts).

const { spawn, execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync } = require('node:fs');
const { createConnection, createServer } = require('node:net');
const { cpus, loadavg, tmpdir } = require('node:os');
const { join } = require('node:path');
const { setTimeout: delay } = require('node:timers/promises');
const core = require('@vnflab/core');
const { StageRunner } = require('@vnflab/runtime');

const IORedis = require('ioredis').default;
const BIN = join(__dirname, '..', 'packages', 'cli', 'bin', 'vnflab.js');
const PREFETCH = 4;
const BOUND = 16;
const ROUNDS = 7;

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(dir) {
  const port = await freePort();
  const socket = join(dir, 'redis.sock');
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'].concat([
      '--unixsocket',
      socket,
      '--unixsocketperm',
      '700',
    ]),
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await core.probeRedis(url, 500);
      return { url, unixUrl: `unix://${socket}`, port, socket, proc };
    } catch {
      await delay(50);
    }
  }
  throw new Error('redis-server did not start');
}

/** A batch of `n` 64-byte frames (60 B without FCS), as the generator would fill it. */
function makeBatch(n) {
  const b = core.Batch.allocate(n, 128);
  for (let i = 0; i < n; i++) b.buf.fill(i & 0xff, b.offset(b.append(60)), b.offset(i) + 60);
  return b;
}

/**
 * Runs for `seconds`, counting packets consumed after a warm-up; returns packets/s. With `cpu`
 * (an array and the Redis URL) it also pushes the CPU each packet of that window cost, in
 * microseconds: this process's (both ends of the hop run here) plus Redis's (INFO cpu). CPU per
 * packet does not depend on how much of the machine the run got, as packets/s does.
 */
async function timed(seconds, body, cpu) {
  const state = { stop: false, packets: 0 };
  const warm = Math.min(0.5, seconds / 4);
  const running = body(state);
  await delay(warm * 1000);
  const r = cpu ? new IORedis(cpu.url) : null;
  const redisCpu = async () => {
    const info = await r.info('cpu');
    return Number(/used_cpu_user:([\d.]+)/.exec(info)[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)[1]);
  };
  const r0 = r ? await redisCpu() : 0;
  const c0 = process.cpuUsage();
  const p0 = state.packets;
  const t0 = performance.now();
  await delay((seconds - warm) * 1000);
  const packets = state.packets - p0;
  const pps = (packets / (performance.now() - t0)) * 1e3;
  const c = process.cpuUsage(c0);
  if (r) {
    const redisUs = ((await redisCpu()) - r0) * 1e6;
    r.disconnect();
    cpu.into.push((c.user + c.system + redisUs) / Math.max(1, packets));
  }
  state.stop = true;
  await running;
  return pps;
}

async function rawLoop(url, size, seconds, cpu) {
  const a = new IORedis(url);
  const c = new IORedis(url);
  const key = `raw:${size}:${Date.now()}`;
  await a.xgroup('CREATE', key, 'g', '0', 'MKSTREAM');
  const bytes = core.encodeBatch(makeBatch(size)); // the bytes the runtime puts on the wire
  const pps = await timed(
    seconds,
    async (st) => {
      let inFlight = 0; // sent and not yet acknowledged: the same bound the runtime keeps
      const produce = (async () => {
        while (!st.stop) {
          if (inFlight >= BOUND) {
            await delay(0);
            continue;
          }
          inFlight++;
          // approximate trimming far behind the reader keeps Redis's memory flat, as the runtime's bound does
          await a.xadd(key, 'MAXLEN', '~', 1000, '*', 'b', bytes);
        }
      })();
      const consume = (async () => {
        while (!st.stop) {
          const r = await c.callBuffer(
            'XREADGROUP',
            'GROUP',
            'g',
            'c',
            'COUNT',
            PREFETCH,
            'BLOCK',
            50,
            'STREAMS',
            key,
            '>',
          );
          if (!r) continue;
          const ids = [];
          for (const [id, fields] of r[0][1]) {
            core.decodeBatch(fields[1]); // the runtime decodes each batch it receives
            ids.push(id);
          }
          // one XACK for what the read returned, as the runtime's last stage acknowledges a read
          await c.xack(key, 'g', ...ids);
          inFlight -= ids.length;
          st.packets += size * ids.length;
        }
      })();
      await Promise.all([produce, consume]);
    },
    cpu,
  );
  a.disconnect();
  c.disconnect();
  return pps;
}

async function runtimeHop(url, size, seconds, cpu) {
  // two stages, each with its own bus and connections, as two services have (the raw loop's
  // producer and consumer have their own connections too)
  const prefix = `vnflab:bench:${size}:${Date.now()}`;
  const genStats = new core.StageStats('traffic-gen', 'udp');
  const sinkStats = new core.StageStats('backends', 'sink');
  const genBus = new core.RedisBus({
    url,
    prefix,
    bound: BOUND,
    policy: 'block',
    prefetch: PREFETCH,
    cpu: genStats.cpu,
  });
  const bus = new core.RedisBus({ url, prefix, bound: BOUND, policy: 'block', prefetch: PREFETCH, cpu: sinkStats.cpu });
  await Promise.all([genBus.whenReady(), bus.whenReady()]);
  const producer = genBus.producer('sink', {
    ledger: new core.StatsLedger(genBus.ledgerKey('gen'), genStats),
    cpu: genStats.cpu,
  });
  const pool = new core.BatchPool(size);
  const consumer = bus.consumer('sink', 'sink', 'sink', {
    ledger: new core.StatsLedger(bus.ledgerKey('sink'), sinkStats),
    cpu: sinkStats.cpu,
    dedup: new core.BatchDedup(),
    readAhead: true, // as a service reads (packages/runtime/src/service/stage-service.ts)
    pool, // and decodes into its pool's batches, given back once settled
  });
  const sink = { stage: 'backends', variant: 'sink', process: () => {} };
  const runner = new StageRunner({
    element: sink,
    ctx: { stats: sinkStats, costs: new core.Costs(core.loadProfile('zero')), log: core.silentLogger },
    input: consumer,
    output: null,
    stageIndex: 1,
    inFlight: core.MAX_GROUP,
    release: (b) => pool.put(b),
  });
  const batch = makeBatch(size);
  let id = 1;
  const pps = await timed(
    seconds,
    async (st) => {
      const produce = (async () => {
        // up to MAX_GROUP sends on their way, as the service's SourceRunner keeps them
        const sending = new Set();
        while (!st.stop) {
          batch.batchId = id++;
          genStats.packetsOut += size;
          const p = producer.send(batch);
          sending.add(p);
          void p.finally(() => sending.delete(p));
          if (sending.size >= core.MAX_GROUP) await Promise.race(sending);
        }
        await Promise.all(sending);
        await producer.end();
      })();
      const counting = setInterval(() => (st.packets = sinkStats.packetsOut), 5);
      await Promise.all([produce, runner.start()]);
      clearInterval(counting);
      st.packets = sinkStats.packetsOut;
    },
    cpu,
  );
  consumer.close();
  await Promise.all([bus.close(), genBus.close()]);
  return pps;
}

async function pingUs(url, n) {
  const r = new IORedis(url);
  await r.ping();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await r.ping();
  const us = ((performance.now() - t0) / n) * 1e3;
  r.disconnect();
  return us;
}

/** CPU ms/s and wake-ups/s of an idle process with the default metrics (bench/idle-metrics-child.js). */
function idleMetricsCost(setting, seconds) {
  const out = execFileSync(process.execPath, [join(__dirname, 'idle-metrics-child.js'), setting, String(seconds)], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop());
}

/**
 * CPU of one round trip (client process, user + system) when the client sleeps between round
 * trips, as a stage does between batches at a paced rate, against back to back: the difference
 * is what waking a sleeping process costs here. Raw RESP on a socket and ioredis, TCP and Unix.
 */
async function wakeCost(target, n, gapMs) {
  const out = {};
  const paced = async (once) => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      await once();
      if (gapMs > 0) await delay(gapMs);
    }
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / n;
  };
  const s = createConnection(target.socket ? { path: target.socket } : { port: target.port, host: '127.0.0.1' });
  await new Promise((r) => s.once('connect', r));
  let pending = null;
  s.on('data', () => pending?.());
  const rawPing = () =>
    new Promise((r) => {
      pending = r;
      s.write('PING\r\n');
    });
  await paced(rawPing); // warm
  out.raw = await paced(rawPing);
  s.destroy();
  const r = new IORedis(target.socket ?? target.url);
  await r.ping();
  await paced(() => r.ping());
  out.ioredis = await paced(() => r.ping());
  r.disconnect();
  return out;
}

/**
 * Latency of one hop whose consumer sleeps between entries: a child process adds an entry with
 * its CLOCK_MONOTONIC time `rate` times a second (one clock for both processes), and this process
 * waits in XREADGROUP BLOCK and takes the time when the reply reaches it: on a raw socket (the
 * reply's first bytes), or when ioredis resolves the read. Returns microseconds, sorted.
 */
async function hopWakeLatency(port, rate, n, client) {
  const stream = `hopwake:${client}`;
  const admin = new IORedis(port, '127.0.0.1');
  await admin.del(stream);
  await admin.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
  const producer = spawn(
    process.execPath,
    [
      '-e',
      `const R=require('ioredis').default;const r=new R(${port},'127.0.0.1');let i=0;` +
        `const t=setInterval(()=>{r.xadd(${JSON.stringify(stream)},'*','t',String(process.hrtime.bigint()));` +
        `if(++i>=${n}){clearInterval(t);r.quit();}},${1000 / rate});`,
    ],
    { cwd: join(__dirname, '..'), stdio: 'ignore' },
  );
  const lat = [];
  const stamps = (text) => [...text.matchAll(/\$\d+\r\n(\d{10,})\r\n/g)].map((m) => BigInt(m[1]));
  const args = ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 4, 'BLOCK', 100, 'STREAMS', stream, '>'];
  const deadline = performance.now() + (n / rate) * 1000 + 3000;
  if (client === 'raw') {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.setNoDelay(true);
    await new Promise((r) => s.once('connect', r));
    const cmd = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`;
    let text = '';
    let woke = 0n;
    let reply = null;
    s.on('data', (d) => {
      if (!text) woke = process.hrtime.bigint();
      text += d.toString('latin1');
      // a reply ends with the CRLF of its last stamp, or is the null of a timeout
      if (text.startsWith('*-1\r\n') || /\d{10,}\r\n$/.test(text)) reply?.();
    });
    while (lat.length < n && performance.now() < deadline) {
      await new Promise((r) => {
        reply = r;
        s.write(cmd);
      });
      for (const t of stamps(text)) lat.push(Number(woke - t) / 1e3);
      text = '';
    }
    s.destroy();
  } else {
    const r = new IORedis(port, '127.0.0.1');
    while (lat.length < n && performance.now() < deadline) {
      const rep = await r.callBuffer(...args);
      const now = process.hrtime.bigint();
      if (rep) for (const [, f] of rep[0][1]) lat.push(Number(now - BigInt(f[1].toString())) / 1e3);
    }
    r.disconnect();
  }
  producer.kill();
  await admin.del(stream);
  admin.disconnect();
  return lat.sort((a, b) => a - b);
}

function chainRun(args, dir, name) {
  const json = join(dir, `${name}.json`);
  execFileSync(process.execPath, [BIN, 'run', '--quiet', '--json', json, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return JSON.parse(readFileSync(json, 'utf8'));
}

module.exports = async function bus({ quick, log }) {
  const seconds = quick ? 1.5 : 3;
  const count = quick ? 100000 : 400000;
  const loadAtStart = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'vnflab-bench-bus-'));
  const { url, unixUrl, port, socket, proc } = await startRedis(dir);
  const rows = [];
  const data = { hop: {}, chain: {} };
  try {
    const ping = await pingUs(url, quick ? 2000 : 10000);
    data.ping_us = ping;
    rows.push([
      'PING round trip (ioredis, sequential)',
      `${ping.toFixed(1)} us`,
      'the floor of any Redis round trip here',
    ]);
    // a stage at 10 kpps sleeps between batches: each reply it waits for wakes it
    log('round-trip CPU, back to back and with 2 ms sleeps between, TCP and Unix socket ...');
    const n = quick ? 500 : 2000;
    data.wake = {};
    for (const [label, target] of [
      ['loopback TCP', { url, port }],
      ['Unix socket', { socket }],
    ]) {
      const busy = await wakeCost(target, n * 4, 0);
      const slept = await wakeCost(target, n, 2);
      data.wake[label] = { back_to_back_us: busy, after_sleep_us: slept };
      rows.push([
        `PING CPU per round trip over ${label}: raw RESP / ioredis, back to back`,
        `${busy.raw.toFixed(0)} / ${busy.ioredis.toFixed(0)} us`,
        'client process, user + system',
      ]);
      rows.push([
        `PING CPU per round trip over ${label}: raw RESP / ioredis, 2 ms asleep before each`,
        `${slept.raw.toFixed(0)} / ${slept.ioredis.toFixed(0)} us`,
        `waking costs ${(slept.ioredis - busy.ioredis).toFixed(0)} us more per reply: a paced stage pays it for every reply it waits for`,
      ]);
    }
    log('an idle process with the default metrics: event-loop lag sampled every 10 / 100 ms ...');
    const idle = { default: [], lab: [] };
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      idle.default.push(idleMetricsCost('default', quick ? 2 : 5));
      idle.lab.push(idleMetricsCost('lab', quick ? 2 : 5));
    }
    const idleMed = (k, f) => median(idle[k].map((x) => x[f]));
    data.idle_metrics = idle;
    rows.push([
      `an idle process with Node's default metrics: event-loop lag sampled every 10 ms (prom-client's default) / ${core.EVENT_LOOP_SAMPLE_MS} ms (the lab's)`,
      `${idleMed('default', 'cpu_ms_per_s').toFixed(2)} / ${idleMed('lab', 'cpu_ms_per_s').toFixed(2)} ms CPU per s`,
      `${idleMed('default', 'wakeups_per_s').toFixed(0)} / ${idleMed('lab', 'wakeups_per_s').toFixed(0)} wake-ups per s (medians of ${idle.lab.length}); every stage process and the controller have these metrics`,
    ]);
    for (const size of [1, 32, 64, 256]) {
      // alternating rounds, medians: this machine's noise is larger than the difference
      log(`raw loop and runtime hop, batch ${size}, ${ROUNDS} alternating rounds of ${seconds} s ...`);
      const raws = [];
      const hops = [];
      const rawCpu = [];
      const hopCpu = [];
      for (let i = 0; i < ROUNDS; i++) {
        raws.push(await rawLoop(url, size, seconds, { url, into: rawCpu }));
        hops.push(await runtimeHop(url, size, seconds, { url, into: hopCpu }));
      }
      // CPU per packet (this process and Redis) does not depend on how much of the machine the
      // run got, as packets/s does on a shared machine
      const cpuRaw = median(rawCpu);
      const cpuHop = median(hopCpu);
      const raw = median(raws);
      const hop = median(hops);
      const ratio = median(hops.map((h, i) => h / raws[i]));
      data.hop[size] = {
        raw_pps: raw,
        hop_pps: hop,
        ratio,
        rounds: { raw: raws, hop: hops },
        cpu_us_per_packet: { raw: cpuRaw, hop: cpuHop },
      };
      const target = size === 64 ? ` (target >= 90 % ${ratio >= 0.9 ? 'met' : 'NOT MET'})` : '';
      rows.push([
        `batch ${size} x 64 B: raw loop: XADD / XREADGROUP + one XACK per read`,
        `${(raw / 1e3).toFixed(1)} kpps`,
        `${(raw / size / 1e3).toFixed(2)} k batches/s`,
      ]);
      rows.push([
        `batch ${size} x 64 B: one runtime hop (commit script, ledger, StageRunner)`,
        `${(hop / 1e3).toFixed(1)} kpps`,
        `${(ratio * 100).toFixed(1)} % of raw, median of ${ROUNDS} paired rounds (${hops.map((h, i) => `${((h / raws[i]) * 100).toFixed(0)}`).join('/')} %)${target}`,
      ]);
      rows.push([
        `batch ${size} x 64 B: CPU per packet, client + Redis: raw loop / runtime hop`,
        `${cpuRaw.toFixed(2)} / ${cpuHop.toFixed(2)} us`,
        `the raw loop's CPU is ${((cpuRaw / cpuHop) * 100).toFixed(0)} % of the hop's (medians of ${ROUNDS}): packets/s per core as a ratio that the machine's load does not move`,
      ]);
    }
    log(`chain ${count} packets embedded ...`);
    const emb = chainRun(['--count', String(count)], dir, 'embedded');
    log(`chain ${count} packets as services on Redis ...`);
    const svc = chainRun(['--count', String(count), '--bus', url], dir, 'services');
    log(`chain ${count} packets as services on Redis over its Unix socket ...`);
    const svcUnix = chainRun(['--count', String(count), '--bus', unixUrl], dir, 'services-unix');
    data.chain = {
      embedded: {
        pps: emb.throughput_pps,
        p50_s: emb.latency_seconds.p50,
        p99_s: emb.latency_seconds.p99,
        closed: emb.accounting_closed,
      },
      services: {
        pps: svc.throughput_pps,
        p50_s: svc.latency_seconds.p50,
        p99_s: svc.latency_seconds.p99,
        closed: svc.accounting_closed,
        lab_transport_share: svc.cpu_share.lab_transport,
      },
    };
    const stages = svc.stages.map((s) => s.name).join(' -> ');
    const lat = (s) =>
      `e2e p50 ${(s.latency_seconds.p50 * 1e3).toFixed(2)} ms, p99 ${(s.latency_seconds.p99 * 1e3).toFixed(2)} ms; accounting ${s.accounting_closed ? 'closes' : 'DOES NOT CLOSE'}`;
    rows.push([
      `chain embedded (${stages}), batch 64, ${count} pkts`,
      `${(emb.throughput_pps / 1e3).toFixed(1)} kpps`,
      lat(emb),
    ]);
    rows.push([
      `chain as ${svc.stages.length} processes on Redis, same chain`,
      `${(svc.throughput_pps / 1e3).toFixed(1)} kpps`,
      `${lat(svc)}; lab transport ${(svc.cpu_share.lab_transport * 100).toFixed(0)} % of stage CPU`,
    ]);
    data.chain.services_unix = {
      pps: svcUnix.throughput_pps,
      p50_s: svcUnix.latency_seconds.p50,
      p99_s: svcUnix.latency_seconds.p99,
      closed: svcUnix.accounting_closed,
    };
    rows.push([
      'same chain, processes reach Redis over its Unix socket (--bus unix:///PATH)',
      `${(svcUnix.throughput_pps / 1e3).toFixed(1)} kpps`,
      `${lat(svcUnix)}; ${((svcUnix.throughput_pps / svc.throughput_pps) * 100).toFixed(0)} % of the TCP run's packets/s`,
    ]);
    // a paced hop: how long a batch waits between its producer and a consumer that was asleep
    const wakeRate = 200;
    const wakeN = quick ? 1000 : 3000;
    log(`one hop's latency at ${wakeRate} entries/s, consumer asleep between them: raw socket, ioredis ...`);
    const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];
    const floor = {};
    for (const client of ['raw', 'ioredis', 'raw', 'ioredis']) {
      const xs = await hopWakeLatency(port, wakeRate, wakeN / 2, client);
      floor[client] = (floor[client] ?? []).concat(xs).sort((a, b) => a - b);
    }
    log(`chain as services at ${wakeRate} packets/s, 15 s ...`);
    const paced = chainRun(['--rate', String(wakeRate), '--duration', '15', '--bus', url], dir, 'services-paced');
    const hopStages = paced.stages.filter((st) => st.latency_seconds.queue.max > 0); // all but the generator
    const hopsQ = hopStages.map((st) => st.latency_seconds.queue);
    data.hop_latency = {
      rate: wakeRate,
      raw_us: { p50: q(floor.raw, 0.5), p99: q(floor.raw, 0.99) },
      ioredis_us: { p50: q(floor.ioredis, 0.5), p99: q(floor.ioredis, 0.99) },
      chain_hops: hopsQ,
      chain_e2e_s: paced.latency_seconds,
    };
    rows.push([
      `one hop at ${wakeRate} entries/s, consumer asleep between them: XADD to the consumer woken, raw socket / ioredis`,
      `p50 ${q(floor.raw, 0.5).toFixed(0)} / ${q(floor.ioredis, 0.5).toFixed(0)} us`,
      `p99 ${q(floor.raw, 0.99).toFixed(0)} / ${q(floor.ioredis, 0.99).toFixed(0)} us; two processes and Redis, each woken in turn: the floor of a paced hop here`,
    ]);
    const ms = (x) => (x * 1e3).toFixed(2);
    rows.push([
      `chain as services at ${wakeRate} packets/s: each hop's queueing time (producer's commit to consumer's read)`,
      `p50 ${hopsQ.map((h) => ms(h.p50)).join(' / ')} ms`,
      `p99 ${hopsQ.map((h) => ms(h.p99)).join(' / ')} ms for ${hopStages.map((st) => st.name).join(' / ')}; end to end p50 ${ms(paced.latency_seconds.p50)}, p99 ${ms(paced.latency_seconds.p99)} ms, batching included`,
    ]);
    const share = svc.throughput_pps / emb.throughput_pps;
    rows.push([
      'services / embedded',
      `${(share * 100).toFixed(1)} %`,
      `both on the same ${cpus().length} cores (target >= 60 % ${share >= 0.6 ? 'met' : 'NOT MET'}); load average ${loadAtStart.toFixed(1)} at the start of this section, ${loadavg()[0].toFixed(1)} at its end`,
    ]);
  } finally {
    proc.kill('SIGKILL');
  }
  data.load_average = { start: loadAtStart, end: loadavg()[0] };
  return { rows, data };
};
