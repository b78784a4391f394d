// `vnflab reproduce all` as a bench suite: every published finding beside the lab's figure,
// measured on the paper's own work, one results row per finding (the verdict in the note).

const { loadavg } = require('node:os');
const { runReproduce } = require('@vnflab/lab');
const { createRegistry, defaultMiddle } = require('@vnflab/cli');

function fmt(x) {
  if (x === null) return '(an order)';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
}

/** The results rows of a reproduce report: finding, lab vs paper, band and verdict. */
function rowsOf(report) {
  return report.rows.map((r) => [
    r.name,
    `${fmt(r.measured)} ${r.unit}`,
    `paper ${fmt(r.published)}, band ${fmt(r.band[0])}..${fmt(r.band[1])}: ${r.in_band ? '**in band**' : '**miss**'}`,
  ]);
}

module.exports = async function reproduce({ quick, log }) {
  const load = loadavg()[0];
  const registry = createRegistry();
  const report = await runReproduce({
    registry,
    quick,
    defaultMiddle: defaultMiddle(registry),
    onRow: (r, i, n) => log(`reproduce [${i}/${n}] ${r.name}`),
  });
  const rows = rowsOf(report);
  rows.push([
    'machine load',
    `load average ${load.toFixed(2)} at the start, ${report.duration_s.toFixed(0)} s`,
    "CPU per packet is wall time around each pass: a loaded machine inflates it; the explanations are in `vnflab reproduce`'s output",
  ]);
  return { rows, data: report };
};
module.exports.rowsOf = rowsOf;
