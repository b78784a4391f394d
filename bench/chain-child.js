// Runs the embedded generator->backends chain with 64-byte frames at unlimited rate in this
// (fresh) process, sampling resident memory, and prints one JSON line. With --expose-gc and a
// third argument `live`, it instead measures the live heap after a full collection at the early
// point and at the end (forced collections change what RSS would show, hence a separate run):
// that tells a leak from garbage V8 has not collected yet.
//   node bench/chain-child.js SECONDS [EARLY_SECONDS]
//   node --expose-gc bench/chain-child.js SECONDS EARLY_SECONDS live

const { validateChain } = require('@vnflab/core');
const { createRegistry, runChain } = require('@vnflab/cli');

async function main() {
  const seconds = Number(process.argv[2] ?? 60);
  const early = Number(process.argv[3] ?? 10);
  const measureLive = process.argv[4] === 'live' && typeof global.gc === 'function';
  const reg = createRegistry();
  const chain = validateChain(
    {
      name: 'bench',
      profile: 'zero',
      batch_size: 256,
      stages: [
        { stage: 'traffic-gen', settings: { size: 64, flows: 1024, rate: 0, duration: seconds } },
        { stage: 'backends' },
      ],
    },
    reg,
  );
  const rss = [];
  const live = [];
  const started = performance.now();
  const timer = setInterval(() => {
    const t = (performance.now() - started) / 1e3;
    rss.push({ t, rss: process.memoryUsage().rss });
    // the live heap, right after the RSS sample, at the early point and near the end
    if (measureLive && (live.length === 0 ? t >= early : live.length === 1 && t >= seconds - 1.5)) {
      global.gc();
      live.push(process.memoryUsage().heapUsed);
    }
  }, 1000);
  const { summary } = await runChain(chain, reg);
  clearInterval(timer);
  const at = (t) => (rss.find((r) => r.t >= t) ?? rss[rss.length - 1]).rss;
  process.stdout.write(
    JSON.stringify({
      pps: summary.throughput_pps,
      sent: summary.sent,
      closed: summary.accounting_closed,
      p99_s: summary.latency_seconds.p99,
      rss_early: at(early),
      rss_end: rss[rss.length - 1].rss,
      live_heap_early: live[0] ?? null,
      live_heap_end: live[1] ?? null,
      early_s: early,
      seconds,
    }) + '\n',
  );
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
