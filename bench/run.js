// `npm run bench`: every benchmark in one run on this machine, written to bench/RESULTS.md and
// bench/results.json. Ratios are what to compare across machines; absolute numbers are this
// machine's. `npm run bench -- --quick` shortens every run; `--only NAME` runs one suite.

const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { cpus, totalmem } = require('node:os');
const { join } = require('node:path');
const { mergeResults } = require('./results-md');

const SUITES = [
  ['foundation', 'Foundation: floor loop versus the embedded chain', () => require('./foundation')],
  [
    'nic',
    'NIC modes: chain packets/s and events per packet',
    () =>
      ({ quick, log }) =>
        require('@vnflab/lab').nicBench({ quick, log, registry: require('@vnflab/cli').createRegistry() }),
  ],
  ['kernel-path', 'Guest receive path: kernel versus bypass, and each mechanism', () => require('./kernel-path')],
  [
    'breakdown',
    'Where the CPU goes: vnflab breakdown on the default chain (full tables in packages/lab/BREAKDOWN-RESULTS.md)',
    () => require('./breakdown'),
  ],
  [
    'web',
    'The web workload: mTCP Figure 1 on short HTTP connections, per kernel-path preset (chains/web.yaml)',
    () => require('./web'),
  ],
  ['reproduce', 'Reproducing the papers: vnflab reproduce all', () => require('./reproduce')],
  ['lb', 'Load balancer: Maglev, conntrack, table builds', () => require('./lb')],
  ['bus', 'Redis Streams bus: one hop versus a raw ioredis loop, and the chain as services', () => require('./bus')],
  ['controller', 'Controller: live swaps under traffic (embedded)', () => require('./controller')],
  [
    'compose',
    'docker compose: start-up, container memory, a live swap through the controller',
    () => require('./compose'),
  ],
  [
    'compose-targets',
    'docker compose as a measuring instrument: 10 kpps latency and CPU, the highest clean rate, the nic compared',
    () => require('./compose-targets'),
  ],
  [
    'swarm',
    'Docker Swarm: the chain packets/s with kernel-path at 1 and 3 replicas',
    () =>
      ({ quick, log }) =>
        require('@vnflab/lab').swarmBench({ quick, log, root: join(__dirname, '..') }),
  ],
  // a stage may carry its own benchmark: package.json "vnflab": { "bench": "<export>" }, an
  // export ({ quick, log }) => { title, rows, data }; found here like the stages themselves
  ...stageSuites(),
];

function stageSuites() {
  const { stagePackages } = require('@vnflab/core');
  return stagePackages()
    .map((p) => ({ ...p, bench: JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')).vnflab.bench }))
    .filter((p) => p.bench)
    .map((p) => {
      const suite = require(p.name)[p.bench];
      return [p.dir.split(/[\\/]/).pop(), suite.title, () => suite];
    });
}

async function main() {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const log = (m) => process.stderr.write(`bench: ${m}\n`);
  const results = {};
  const header = [
    '# Benchmark results',
    '',
    `Measured by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`,
    'Each table is measured in one run; compare ratios, not absolute numbers, across machines.',
    '',
  ];
  const sections = [];
  for (const [name, title, load] of SUITES) {
    if (only && only !== name) continue;
    log(`== ${title}`);
    const r = await load()({ quick, log });
    results[name] = r.data;
    sections.push({
      title,
      text: [
        `## ${title}`,
        '',
        '| measurement | value | note |',
        '|---|---|---|',
        ...r.rows.map((row) => `| ${row.join(' | ')} |`),
        '',
      ].join('\n'),
    });
    for (const row of r.rows) log(`  ${row.join('  ')}`);
  }
  const mdPath = join(__dirname, 'RESULTS.md');
  const jsonPath = join(__dirname, 'results.json');
  // the tables are replaced; notes written under them and sections written by hand are kept
  const prior = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : '';
  if (!only) {
    writeFileSync(mdPath, mergeResults(prior, sections, { preamble: header.join('\n') }));
    writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
  } else {
    const stamp = `(this section measured on ${new Date().toISOString().slice(0, 10)} by \`npm run bench -- --only ${only}\`)`;
    writeFileSync(mdPath, mergeResults(prior || header.join('\n'), sections, { stamp }));
    const old = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : {};
    writeFileSync(jsonPath, JSON.stringify({ ...old, ...results }, null, 2) + '\n');
  }
  log(`wrote bench/RESULTS.md and bench/results.json${only ? ` (suite ${only} only)` : ''}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
