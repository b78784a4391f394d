// The load-balancer benchmark: Maglev lookups with conntrack, table build times, the lb element against
// the floor loop in the same run.

const { runLbBench, lbBenchRows } = require('@vnflab/lab');
const { floorPps } = require('./floor');

module.exports = async function lb({ quick, log }) {
  log('lb: lookups, table builds (M = 65537, N = 3..100, 1000), element throughput ...');
  const floor = floorPps(quick ? 1 : 3);
  const r = runLbBench({ durationMs: quick ? 200 : 1000 });
  return { rows: lbBenchRows(r, floor), data: { ...r, floor_pps: floor } };
};
