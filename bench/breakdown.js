// The breakdown benchmark: `vnflab breakdown` on the default chain for 64 B and 1500 B, with the
// default profile and with `zero`. The full reports go to packages/lab/BREAKDOWN-RESULTS.md; the
// results table gets the headline figures next to the papers'.

const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { loadChainFile } = require('@vnflab/core');
const { runBreakdown, formatBreakdown } = require('@vnflab/lab');
const { createRegistry } = require('@vnflab/cli');

module.exports = async function breakdown({ quick, log }) {
  const registry = createRegistry();
  const chain = loadChainFile(join(__dirname, '..', 'chains', 'default.yaml'), registry);
  const middle = chain.stages
    .slice(1, -1)
    .map((s) => ({ stage: s.stage, variant: s.variant, name: s.name, settings: s.settings }));
  const durationS = quick ? 0.3 : 1;
  const rows = [];
  const md = [
    '# kernel-path: measured breakdown',
    '',
    `Produced by \`npm run bench\` (bench/breakdown.js, which runs what \`vnflab breakdown\` runs) on ${new Date().toISOString().slice(0, 10)}, ${durationS} s of traffic per row, on the default chain (${['traffic-gen', ...middle.map((m) => m.stage), 'backends'].join(' > ')}).`,
    'CPU time is measured around each pass on one thread, so a busy machine inflates it; compare rows of one run. Event counts per packet are exact.',
    '',
  ];
  const data = {};
  for (const profile of ['linux-3.10-xeon', 'zero']) {
    for (const size of [64, 1500]) {
      log(`breakdown: ${size} B, profile ${profile} ...`);
      const r = await runBreakdown({ registry, size, durationS, profile, middle });
      data[`${profile}/${size}`] = r;
      md.push(`## ${size} B, profile ${profile}`, '', '```', formatBreakdown(r), '```', '');
      const k = r.comparison.mtcp.ours_kernel_mode;
      const b = r.comparison.bypass_over_kernel;
      rows.push([
        `${size} B, ${profile}: kernel mode CPU share (pkt I/O / kernel / TCP/IP / app)`,
        k ? `${pct(k.packet_io)} / ${pct(k.kernel_without_tcpip)} / ${pct(k.tcpip)} / ${pct(k.application)}` : '-',
        'mTCP Fig. 1 (Linux 3.10, lighttpd): 4.5 / 45.3 / 33.6 / 16.7 %, kernel 83.3 %',
      ]);
      rows.push([
        `${size} B, ${profile}: bypass / kernel`,
        `${b.capacity ? b.capacity.toFixed(1) : '-'}x per core, ${b.throughput ? b.throughput.toFixed(1) : '-'}x whole chain`,
        `XDP paper DPDK/Linux per core: ${b.published_xdp.toFixed(1)}x; netmap: OS takes 10-20x the 67.2 ns budget, ours ${r.comparison.netmap.ours_multiple ? r.comparison.netmap.ours_multiple.toFixed(1) : '-'}x`,
      ]);
    }
  }
  writeFileSync(join(__dirname, '..', 'packages', 'lab', 'BREAKDOWN-RESULTS.md'), md.join('\n'));
  return { rows, data: Object.fromEntries(Object.entries(data).map(([k, r]) => [k, r.comparison])) };
};

function pct(x) {
  return `${(x * 100).toFixed(0)} %`;
}
