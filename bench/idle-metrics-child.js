// An otherwise idle process with Node's default metrics, as every stage process has them, the
// event-loop lag sampled every PRECISION ms (`default`: prom-client's own, 10 ms). After a second
// to settle, prints one JSON line: its CPU and its threads' wake-ups (voluntary context switches)
// per second over SECONDS.
//   node bench/idle-metrics-child.js PRECISION SECONDS

const { readdirSync, readFileSync } = require('node:fs');
const { Registry, collectDefaultMetrics } = require('prom-client');

const precision = process.argv[2];
const seconds = Number(process.argv[3] ?? 5);
collectDefaultMetrics({
  register: new Registry(),
  ...(precision === 'default' ? {} : { eventLoopMonitoringPrecision: Number(precision) }),
});

const wakeups = () =>
  readdirSync('/proc/self/task').reduce(
    (n, t) =>
      n + Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/self/task/${t}/status`, 'utf8'))[1]),
    0,
  );

setTimeout(() => {
  const c0 = process.cpuUsage();
  const w0 = wakeups();
  setTimeout(() => {
    const c = process.cpuUsage(c0);
    const w = wakeups() - w0;
    console.log(JSON.stringify({ cpu_ms_per_s: (c.user + c.system) / 1e3 / seconds, wakeups_per_s: w / seconds }));
    process.exit(0);
  }, seconds * 1000);
}, 1000);
