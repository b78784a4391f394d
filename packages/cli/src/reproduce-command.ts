// `vnflab reproduce`: every published finding beside the lab's figure, measured now on the same
// work. Misses are results (exit 0); a name the lab does not know is bad usage (exit 2).

import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadChainFile, loadProfile, type StageEntry } from '@vnflab/core';
import {
  formatReproduceRows,
  renderReproduceHtml,
  runReproduce,
  selectFindings,
  UnknownFindingError,
} from '@vnflab/lab';
import { DEFAULT_CHAIN, UsageError } from '@vnflab/runtime';
import { createRegistry } from './registry';

export const REPRODUCE_USAGE = 'vnflab reproduce [NAME...|all] [--html FILE] [--json FILE] [--quick] [--profile NAME]';

/** The default chain's middle stages (nic, kernel-path, lb, ...), as the breakdown reads them. */
export function defaultMiddle(registry = createRegistry()): StageEntry[] {
  const chain = loadChainFile(DEFAULT_CHAIN, registry);
  return chain.stages
    .slice(1, -1)
    .map((s) => ({ stage: s.stage, variant: s.variant, name: s.name, settings: s.settings }));
}

export async function reproduceCommand(argv: string[]): Promise<number> {
  const { values: f, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      html: { type: 'string' },
      json: { type: 'string' },
      quick: { type: 'boolean' },
      profile: { type: 'string' },
    },
  });
  // a run takes minutes: a file that cannot be written is refused before it, not after
  for (const [flag, file] of [
    ['html', f.html],
    ['json', f.json],
  ] as const) {
    if (file === undefined) continue;
    const dir = dirname(resolve(file));
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new UsageError(`--${flag}: directory ${dir} does not exist`);
  }
  try {
    selectFindings(positionals);
    if (f.profile) loadProfile(f.profile);
  } catch (e) {
    if (e instanceof UnknownFindingError) throw new UsageError(e.message);
    throw new UsageError((e as Error).message);
  }
  const registry = createRegistry();
  const report = await runReproduce({
    registry,
    names: positionals,
    quick: f.quick ?? false,
    profile: f.profile,
    defaultMiddle: defaultMiddle(registry),
    onRow: (row, i, n) =>
      process.stderr.write(
        `  [${i}/${n}] ${row.name}: ${row.measured.toPrecision(3)} ${row.unit} (${row.in_band ? 'in band' : 'outside the band'})\n`,
      ),
  });
  process.stdout.write(formatReproduceRows(report.rows) + '\n');
  if (f.json) writeFileSync(f.json, JSON.stringify(report, null, 2) + '\n');
  if (f.html) writeFileSync(f.html, renderReproduceHtml(report));
  return 0;
}
