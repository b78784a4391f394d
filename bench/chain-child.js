// Runs the embedded generator->backends chain with 64-byte frames at unlimited rate in this
// (fresh) process, sampling resident memory, and prints one JSON line.
//   node bench/chain-child.js SECONDS [RSS_EARLY_SECONDS]

const { validateChain } = require('@vnflab/core');
const { createRegistry, runChain } = require('@vnflab/cli');

async function main() {
  const seconds = Number(process.argv[2] ?? 60);
  const early = Number(process.argv[3] ?? 10);
  const reg = createRegistry();
  const chain = validateChain({
    name: 'bench', profile: 'zero', batch_size: 256,
    stages: [{ stage: 'traffic-gen', settings: { size: 64, flows: 1024, rate: 0, duration: seconds } }, { stage: 'backends' }],
  }, reg);
  const rss = [];
  const started = performance.now();
  const timer = setInterval(() => rss.push({ t: (performance.now() - started) / 1e3, rss: process.memoryUsage().rss }), 1000);
  const { summary } = await runChain(chain, reg);
  clearInterval(timer);
  const at = (t) => (rss.find((r) => r.t >= t) ?? rss[rss.length - 1]).rss;
  process.stdout.write(JSON.stringify({
    pps: summary.throughput_pps,
    sent: summary.sent,
    closed: summary.accounting_closed,
    p99_s: summary.latency_seconds.p99,
    rss_early: at(early),
    rss_end: rss[rss.length - 1].rss,
    early_s: early,
    seconds,
  }) + '\n');
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
