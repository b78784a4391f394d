// `vnflab breakdown`: the overhead breakdown of the guest receive path — kernel mode, each
// mechanism switched off in turn, bypass — with the published figures beside ours, and the
// reproduce rows about the receive path's CPU (measured on each paper's own work) below it.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadChainFile, loadProfile, type StageEntry } from '@vnflab/core';
import {
  BREAKDOWN_FINDINGS,
  HTTP_PRESETS,
  formatBreakdown,
  formatHttpBreakdown,
  formatReproduceRows,
  renderHttpBreakdownHtml,
  runBreakdown,
  runHttpBreakdown,
  runReproduce,
} from '@vnflab/lab';
import { createRegistry } from './registry';
import { checkJsonPath } from './summary-table';
import { DEFAULT_CHAIN, UsageError, WEB_CHAIN, num } from '@vnflab/runtime';

export const BREAKDOWN_USAGE =
  'vnflab breakdown [--workload udp|http] [--size 64|imix] [--duration S per row] [--profile NAME] [--config FILE] [--connections N (http)] [--json FILE] [--html FILE (http)]';

export async function breakdownCommand(argv: string[]): Promise<number> {
  const { values: f } = parseArgs({
    args: argv,
    strict: true,
    options: {
      size: { type: 'string' },
      duration: { type: 'string' },
      profile: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'string' },
      workload: { type: 'string' },
      connections: { type: 'string' },
      html: { type: 'string' },
    },
  });
  if (f.workload !== undefined && f.workload !== 'udp' && f.workload !== 'http')
    throw new UsageError(`--workload must be udp or http (got "${f.workload}")`);
  if (f.workload === 'http') return httpBreakdown(f);
  if (f.connections !== undefined) throw new UsageError('--connections applies to --workload http');
  if (f.html !== undefined) throw new UsageError('--html applies to --workload http');
  const size = f.size === 'imix' ? 'imix' : (num('size', f.size, { min: 64, max: 1518, integer: true }) ?? 64);
  const durationS = num('duration', f.duration, { min: 0.05, max: 600 }) ?? 1;
  const registry = createRegistry();
  let middle: StageEntry[];
  try {
    if (f.profile) loadProfile(f.profile);
    // the chain file's middle stages (nic, kernel-path, lb, ...), kernel-path's toggles varied per row
    const chain = loadChainFile(f.config ?? DEFAULT_CHAIN, registry);
    middle = chain.stages
      .slice(1, -1)
      .map((s) => ({ stage: s.stage, variant: s.variant, name: s.name, settings: s.settings }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!middle.some((s) => s.stage === 'kernel-path')) middle = [...middle, { stage: 'kernel-path' }];
  process.stderr.write(
    `vnflab: breakdown, ${size === 'imix' ? 'IMIX' : `${size} B`} frames, ${durationS} s per row, profile ${f.profile ?? 'linux-3.10-xeon'}, chain ${['traffic-gen', ...middle.map((m) => m.stage), 'backends'].join(' -> ')}\n`,
  );
  let i = 0;
  const report = await runBreakdown({
    registry,
    size,
    durationS,
    profile: f.profile,
    middle,
    onRow: (row) =>
      process.stderr.write(
        `  [${++i}] ${row.name.padEnd(10)} ${(row.throughput_pps / 1e6).toFixed(3)} Mpps, kernel-path ${row.kernel_path.ns_per_packet.toFixed(0)} ns/packet\n`,
      ),
  });
  process.stdout.write(formatBreakdown(report) + '\n');
  // the breakdown's rows run the chain file's work; these run each paper's (vnflab reproduce)
  process.stderr.write(
    `vnflab: breakdown, the findings measured on the papers' own work: ${BREAKDOWN_FINDINGS.join(', ')}\n`,
  );
  const repro = await runReproduce({
    registry,
    names: BREAKDOWN_FINDINGS,
    quick: durationS < 0.5,
    profile: f.profile,
    defaultMiddle: middle,
  });
  process.stdout.write(
    `\nPublished findings on the papers' own work (vnflab reproduce ${BREAKDOWN_FINDINGS.join(' ')})\n${formatReproduceRows(repro.rows)}\n`,
  );
  if (f.json) writeFileSync(f.json, JSON.stringify({ ...report, reproduce: repro.rows }, null, 2) + '\n');
  return 0;
}

/** `--workload http`: mTCP Figure 1 on the web workload, one row per kernel-path preset. */
async function httpBreakdown(f: Record<string, string | undefined>): Promise<number> {
  if (f.size !== undefined)
    throw new UsageError('--size does not apply to --workload http (the file size is web-server file_size)');
  const durationS = num('duration', f.duration, { min: 0.1, max: 600 }) ?? 2;
  const connections = num('connections', f.connections, { min: 1, max: 65536, integer: true });
  checkJsonPath(f.json);
  checkJsonPath(f.html, 'html');
  const registry = createRegistry();
  const config = f.config ?? WEB_CHAIN;
  try {
    if (f.profile) loadProfile(f.profile);
    loadChainFile(config, registry);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  process.stderr.write(
    `vnflab: breakdown, web workload (${config}), ${durationS} s per preset: ${HTTP_PRESETS.join(', ')}\n`,
  );
  const report = await runHttpBreakdown({
    registry,
    config,
    durationS,
    profile: f.profile,
    connections,
    onRow: (r) =>
      process.stderr.write(
        `  ${r.preset.padEnd(9)} ${r.transactions} transactions, ${r.cpu_us_per_transaction.toFixed(1)} µs of server CPU each\n`,
      ),
  });
  process.stdout.write(formatHttpBreakdown(report) + '\n');
  if (f.json) writeFileSync(f.json, JSON.stringify(report, null, 2) + '\n');
  if (f.html) writeFileSync(f.html, renderHttpBreakdownHtml(report));
  return report.rows.every((r) => r.accounting_closed) ? 0 : 1;
}
