// The live-swap benchmark: live swaps in an embedded chain under traffic — swap duration (start to
// old element closed) and packets delayed across the switch — and the accounting across them.
// The Docker-level swap (container start, readiness, drain) is measured by the controller's
// tests and reported per swap by POST /swap.

const { join } = require('node:path');
const { loadChainFile } = require('@vnflab/core');
const { createRegistry } = require('@vnflab/cli');
const { runSwapBench, swapBenchRows } = require('@vnflab/lab');

module.exports = async function controller({ quick, log }) {
  const registry = createRegistry();
  const chain = loadChainFile(join(__dirname, '..', 'chains', 'default.yaml'), registry);
  // a light load (queues mostly empty) and one near what the default chain carries (queues full)
  const runs = [];
  for (const rate of [50000, 120000]) runs.push(await runSwapBench({ registry, chain, quick, log, rate }));
  return { rows: runs.flatMap(swapBenchRows), data: { runs } };
};
