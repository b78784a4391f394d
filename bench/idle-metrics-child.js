// An otherwise idle process with Node's default metrics, as every stage process has them: with
// `lab`, set up exactly as the stages do (core's collectNodeMetrics); with `default`, as
// prom-client sets them up by itself (event-loop lag sampled every 10 ms). After a second to
// settle, prints one JSON line: its CPU and its threads' wake-ups (voluntary context switches)
// per second over SECONDS.
//   node bench/idle-metrics-child.js default|lab SECONDS

const { readdirSync, readFileSync } = require('node:fs');
const { Registry, collectDefaultMetrics } = require('prom-client');
const { collectNodeMetrics } = require('@vnflab/core');

const setting = process.argv[2];
const seconds = Number(process.argv[3] ?? 5);
if (setting === 'lab') collectNodeMetrics(new Registry());
else collectDefaultMetrics({ register: new Registry() });

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
