// The compose stack as a measuring instrument: the default stack at 10 kpps (end-to-end p50 and
// p99, delivered against offered, CPU of every container of the stack), the same stack idle and
// at other flush intervals of the generator (set at run time), the highest rate it delivers in
// full with p99 <= 10 ms (`vnflab compare --ndr --max-latency 10`, the generator's rate set
// through the controller), and a compose comparison of the nic's modes (its own CPU per packet,
// the bus apart) to set against the embedded order. Windows are read from Prometheus and from the
// containers' cgroup CPU counters; medians of three. Skipped, with the reason, without a Docker
// engine or the offline images.

const { spawnSync, execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, readdirSync, existsSync } = require('node:fs');
const { loadavg, tmpdir } = require('node:os');
const { join } = require('node:path');
const { ROOT, composeProject, composeSkipReason } = require('./compose-project');

const VNFLAB = join(ROOT, 'packages', 'cli', 'bin', 'vnflab.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The cgroup directory of a container (v1 cpuacct, or v2 under systemd or cgroupfs). */
function cgroupDir(id) {
  const dirs = [
    `/sys/fs/cgroup/cpuacct/docker/${id}`,
    `/sys/fs/cgroup/system.slice/docker-${id}.scope`,
    `/sys/fs/cgroup/docker/${id}`,
  ];
  return dirs.find((d) => existsSync(d)) ?? null;
}

/** CPU nanoseconds a container has used, from its cgroup (v1 cpuacct or v2 cpu.stat). */
function containerCpuNs(id) {
  const dir = cgroupDir(id);
  if (!dir) return NaN;
  const v1 = join(dir, 'cpuacct.usage');
  if (existsSync(v1)) return Number(readFileSync(v1, 'utf8'));
  return Number(/usage_usec (\d+)/.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))[1]) * 1e3;
}

/**
 * Times the threads of a container's processes went to sleep and were woken again (voluntary
 * context switches, from /proc): the wake-ups the stack's CPU goes on at a low rate. A process
 * that exits within the window (a healthcheck's) takes its count with it, so this reads low.
 */
function containerWakeups(id) {
  const dir = cgroupDir(id);
  if (!dir) return NaN;
  let n = 0;
  for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // exited meanwhile
    }
    for (const t of tasks) {
      try {
        n += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))[1]);
      } catch {
        /* exited meanwhile */
      }
    }
  }
  return n;
}

/** The lowest and highest of the stage processes' median shares of a window, e.g. "1.1-2.0 %". */
function shareRange(windows, key) {
  const services = Object.keys(windows[0][key]).filter((s) => s !== 'controller');
  const med = services.map((s) => median(windows.map((w) => w[key][s] ?? 0)));
  if (med.length === 0) return 'no data';
  const pct = (x) => (x * 100).toFixed(1);
  return `${pct(Math.min(...med))}-${pct(Math.max(...med))} %`;
}

/** Microseconds waited per period run, over every stage process but the controller. */
function waitPerRun(waits, periods) {
  let w = 0;
  let n = 0;
  for (const [svc, x] of Object.entries(waits)) {
    if (svc === 'controller') continue;
    w += x;
    n += periods[svc] ?? 0;
  }
  return n > 0 ? (w / n) * 1e6 : 0;
}

module.exports = async function composeTargets({ quick, log }) {
  const skip = (why) => ({ rows: [['docker compose targets', 'skipped', why]], data: { skipped: why } });
  const why = composeSkipReason();
  if (why) return skip(why);
  const windowS = quick ? 10 : 20;
  const {
    project,
    env,
    controllerPort: cp,
    prometheusPort: pp,
    dc,
    query,
    num,
    down,
  } = await composeProject('vnflabtargets', { TRAFFIC_RATE: '10000' });
  const compare = (args, out) => {
    const r = spawnSync(
      process.execPath,
      [
        VNFLAB,
        'compare',
        '--controller',
        `http://127.0.0.1:${cp}`,
        '--prometheus',
        `http://127.0.0.1:${pp}`,
        ...args,
        '--out',
        out,
      ],
      { cwd: ROOT, env, encoding: 'utf8', timeout: 20 * 60e3 },
    );
    if (r.status !== 0)
      throw new Error(`vnflab compare ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-400)}`);
    return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  };
  try {
    log('compose targets: up -d at TRAFFIC_RATE=10000 ...');
    const up = dc(['up', '-d']);
    if (up.status !== 0) return skip(`docker-compose up failed: ${up.stderr.slice(-300)}`);
    for (let i = 0; i < 480; i++) {
      if ((await num('sum(vnflab_packets_total{stage="backends",direction="out"})')) > 0) break;
      await sleep(250);
    }
    log(`compose targets: warming up ${windowS} s ...`);
    await sleep(windowS * 1000);
    const ids = execFileSync(
      'docker',
      ['ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`],
      {
        encoding: 'utf8',
      },
    )
      .split('\n')
      .filter(Boolean);
    const stackCpuNs = () => ids.reduce((s, id) => s + containerCpuNs(id), 0);
    const stackWakeups = () => ids.reduce((s, id) => s + containerWakeups(id), 0);

    // three windows of the stack as it runs now: latency, delivered, CPU, wake-ups, batches, GC
    const measure = async (what) => {
      const windows = [];
      for (let w = 0; w < 3; w++) {
        log(`compose targets: window ${w + 1}/3 at 10 kpps${what}, ${windowS} s ...`);
        const c0 = stackCpuNs();
        const k0 = stackWakeups();
        const t0 = process.hrtime.bigint();
        await sleep(windowS * 1000);
        const c1 = stackCpuNs();
        const k1 = stackWakeups();
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        await sleep(2500); // one more scrape, so the window's end is in Prometheus
        const range = `[${windowS}s]`;
        const quant = (qq) =>
          num(`histogram_quantile(${qq}, sum by (le) (increase(vnflab_e2e_latency_seconds_bucket${range})))`);
        const offered = await num(`sum(increase(vnflab_generator_packets_total{kind="offered"}${range}))`);
        const delivered = await num(`sum(increase(vnflab_packets_total{stage="backends",direction="out"}${range}))`);
        const drops = await num(`sum(increase(vnflab_drops_total${range})) or vector(0)`);
        // a counter's rate over the window per compose service (a share of the window, for seconds)
        const byService = async (metric) =>
          Object.fromEntries(
            (await query(`sum by (service) (rate(${metric}${range}))`)).map((x) => [
              x.metric.service,
              Number(x.value[1]),
            ]),
          );
        // the share of the window each stage process spent paused for garbage collection
        const gcShares = await byService('nodejs_gc_duration_seconds_sum');
        // the share it was ready to run and waited for a CPU (the kernel's run queue), and the
        // times it got one
        const runqueueShares = await byService('vnflab_runqueue_wait_seconds_total');
        const runPeriods = await byService('vnflab_run_periods_total');
        // batches each stage handled, the median stage's
        const stageBatches = await num(`quantile(0.5, sum by (stage) (increase(vnflab_batch_size_count${range})))`);
        windows.push({
          p50_s: await quant(0.5),
          p99_s: await quant(0.99),
          offered,
          delivered,
          drops,
          delivered_ratio: delivered / offered,
          stack_cpu_cores: (c1 - c0) / 1e9 / secs,
          wakeups_per_s: (k1 - k0) / secs,
          cpu_us_per_wakeup: (c1 - c0) / 1e3 / (k1 - k0),
          batches_per_s_per_stage: stageBatches / windowS,
          gc_paused_share: gcShares,
          runqueue_wait_share: runqueueShares,
          // mean wait each time a stage process got a CPU, over the stages (not the controller)
          runqueue_us_per_run: waitPerRun(runqueueShares, runPeriods),
          load1: loadavg()[0],
        });
      }
      return windows;
    };

    // 1. the default stack at 10 kpps
    const windows = await measure('');
    const m = (k) => median(windows.map((x) => x[k]));

    // the same stack idle: the generator stopped (vnflab traffic --stop), what the stack costs
    // with no packets (heartbeats, healthchecks, scrapes, blocking reads timing out)
    // steers the generator through the controller (vnflab traffic FLAG), or throws saying why not
    const traffic = (flag) => {
      const r = spawnSync(process.execPath, [VNFLAB, 'traffic', '--url', `http://127.0.0.1:${cp}`, flag], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`vnflab traffic ${flag} failed: ${r.stderr.slice(-300)}`);
    };
    log(`compose targets: idle (generator stopped), ${windowS} s ...`);
    traffic('--stop');
    await sleep(5000); // what was in flight drains
    const ic0 = stackCpuNs();
    const ik0 = stackWakeups();
    const it0 = process.hrtime.bigint();
    await sleep(windowS * 1000);
    const isecs = Number(process.hrtime.bigint() - it0) / 1e9;
    const idle = { stack_cpu_cores: (stackCpuNs() - ic0) / 1e9 / isecs, wakeups_per_s: (stackWakeups() - ik0) / isecs };
    traffic('--start');

    // the timed drain's trade at 10 kpps: a longer flush interval makes fewer, fuller batches
    // (less CPU, since a stage's cost follows batches more than packets) and makes each packet
    // wait longer in its batch (p50); set at run time, so it is the same stack
    const flushSweep = [{ flush_ms: 2, windows }];
    for (const flush of [1, 5]) {
      traffic(`--flush-ms=${flush}`);
      await sleep(5000);
      flushSweep.push({ flush_ms: flush, windows: await measure(`, flush ${flush} ms`) });
    }
    traffic('--flush-ms=2');
    flushSweep.sort((a, b) => a.flush_ms - b.flush_ms);
    const sm = (f, k) => median(f.windows.map((x) => x[k]));

    // 2. the highest rate delivered in full with p99 <= 10 ms
    log('compose targets: vnflab compare --ndr --max-latency 10 (the generator rate set through the controller) ...');
    const ndr = compare(
      [
        '--stage',
        'nic',
        '--variants',
        'passthrough',
        '--ndr',
        '--max-latency',
        '10',
        '--max-iterations',
        quick ? '4' : '7',
        '--warmup',
        '5',
        '--duration',
        quick ? '5' : '10',
      ],
      mkdtempSync(join(tmpdir(), 'vnflab-targets-ndr-')),
    ).results[0].ndr;

    // 3. the nic's modes in compose, at 10 kpps again
    log('compose targets: vnflab compare nic passthrough,virtio,emulated at 10 kpps ...');
    const cmp = compare(
      ['--stage', 'nic', '--variants', 'passthrough,virtio,emulated', '--warmup', '5', '--duration', String(windowS)],
      mkdtempSync(join(tmpdir(), 'vnflab-targets-nic-')),
    );
    const nic = Object.fromEntries(cmp.results.map((r) => [r.variant, r.cpu]));
    const order = ['passthrough', 'virtio', 'emulated'];
    const ordered = order.every(
      (v, i) => i === 0 || nic[v].stage_ns_per_packet > nic[order[i - 1]].stage_ns_per_packet,
    );

    const verdict = (ok) => (ok ? 'met' : 'NOT MET');
    const loads = windows.map((x) => x.load1.toFixed(1)).join('/');
    return {
      rows: [
        [
          'default stack at 10 kpps: end-to-end p50 / p99',
          `${(m('p50_s') * 1e3).toFixed(2)} / ${(m('p99_s') * 1e3).toFixed(2)} ms`,
          `targets <= 2 / <= 10 ms: ${verdict(m('p50_s') <= 0.002)} / ${verdict(m('p99_s') <= 0.01)}; medians of 3 windows of ${windowS} s, Prometheus histogram_quantile; load average ${loads}`,
        ],
        [
          'default stack at 10 kpps: delivered / offered',
          `${(m('delivered_ratio') * 100).toFixed(1)} %`,
          `target >= 99 % ${verdict(m('delivered_ratio') >= 0.99)}; offered ${Math.round(m('offered') / windowS)}/s, drops in the windows ${windows.map((x) => x.drops).join('/')}`,
        ],
        [
          'default stack at 10 kpps: CPU of every container (stages, Redis, Prometheus, controller)',
          `${(m('stack_cpu_cores') * 100).toFixed(0)} % of one core`,
          `target <= 60 % ${verdict(m('stack_cpu_cores') <= 0.6)}; cgroup CPU counters over each window (${windows.map((x) => (x.stack_cpu_cores * 100).toFixed(0)).join('/')} %)`,
        ],
        [
          'default stack at 10 kpps: wake-ups of every container (voluntary context switches)',
          `${Math.round(m('wakeups_per_s'))} per s`,
          `${m('cpu_us_per_wakeup').toFixed(0)} us of CPU per wake-up (the stack's CPU over them); each stage handles ${Math.round(m('batches_per_s_per_stage'))} batches/s: a stage and Redis are woken per batch for its read and its commit, so the stack's CPU follows batches per second more than packets`,
        ],
        [
          'default stack at 10 kpps: time each stage process was paused for garbage collection',
          shareRange(windows, 'gc_paused_share'),
          'share of each window (nodejs_gc_duration_seconds, medians of the windows); a batch that reaches a paused stage waits out the pause, so these pauses feed the p99',
        ],
        [
          'default stack at 10 kpps: time each stage process waited for a CPU (the run queue)',
          shareRange(windows, 'runqueue_wait_share'),
          `share of each window (vnflab_runqueue_wait_seconds_total, the kernel's /proc/self/schedstat of each process's event loop; medians of the windows), ${m('runqueue_us_per_run').toFixed(0)} us a time it got one; a batch that reaches a waiting stage waits too, time no stage's CPU account contains`,
        ],
        [
          'default stack idle (generator stopped): CPU and wake-ups of every container',
          `${(idle.stack_cpu_cores * 100).toFixed(1)} % of one core`,
          `${idle.wakeups_per_s.toFixed(0)} wake-ups per s over ${windowS} s: heartbeats, healthchecks, scrapes and blocking reads timing out, with no packets`,
        ],
        [
          'default stack at 10 kpps by flush interval (vnflab traffic --flush-ms): p50 / p99, stack CPU',
          flushSweep
            .map(
              (f) =>
                `${f.flush_ms} ms: ${(sm(f, 'p50_s') * 1e3).toFixed(1)} / ${(sm(f, 'p99_s') * 1e3).toFixed(0)} ms, ${(sm(f, 'stack_cpu_cores') * 100).toFixed(0)} %`,
            )
            .join('; '),
          `batches per s per stage ${flushSweep.map((f) => Math.round(sm(f, 'batches_per_s_per_stage'))).join('/')}, stage processes waiting for a CPU ${flushSweep.map((f) => shareRange(f.windows, 'runqueue_wait_share')).join(' / ')}, delivered ${flushSweep.map((f) => (sm(f, 'delivered_ratio') * 100).toFixed(1)).join('/')} %; the same stack, the flush set at run time; medians of 3 windows each; a packet is stamped when it falls due, so its wait in the batch is in the latency`,
        ],
        [
          'highest rate with no loss and p99 <= 10 ms (vnflab compare --ndr --max-latency 10)',
          `${(ndr.rate_pps / 1e3).toFixed(1)} kpps`,
          `target >= 40 kpps ${verdict(ndr.rate_pps >= 40000)}; unlimited ${(ndr.max_pps / 1e3).toFixed(1)} kpps; trials ${ndr.trials.map((t) => `${(t.rate_pps / 1e3).toFixed(1)}k ${t.passed ? 'pass' : 'fail'}${t.p99_s ? ` (p99 ${(t.p99_s * 1e3).toFixed(0)} ms)` : ''}`).join(', ')}`,
        ],
        [
          'compose comparison of the nic at 64 B: its own CPU per packet, bus apart',
          order
            .map((v) => `${v} ${Math.round(nic[v].stage_ns_per_packet)}`)
            .join(' < ')
            .replace(/ < /g, ordered ? ' < ' : ' , '),
          `ns per packet; order as embedded (passthrough < virtio < emulated) ${verdict(ordered)}; bus ${order.map((v) => Math.round(nic[v].bus_ns_per_packet)).join('/')} ns per packet`,
        ],
      ],
      data: { windows, idle, flush_sweep: flushSweep, ndr, nic, ordered },
    };
  } finally {
    down();
  }
};
