// `vnflab profiles`: lists the cost profiles; `--sources` shows each constant with where it
// comes from; `--measure` runs the native helper (tools/os-costs) and writes this machine's
// `measured` profile, which `--profile measured` then uses.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  COST_NAMES,
  describeSource,
  listProfiles,
  loadProfile,
  measureOsCosts,
  measuredProfile,
  writeMeasuredProfile,
  MEASURED_PROFILE,
  OS_COSTS_BIN,
  OS_COSTS_DIR,
} from '@vnflab/core';

export const PROFILES_USAGE = 'vnflab profiles [--sources | --measure [--runs N]]';

/** A flag mistake: one line, exit 2, as main.ts does for the other commands. */
function usage(message: string): number {
  process.stderr.write(`vnflab: ${message}\n`);
  return 2;
}

export async function profilesCommand(argv: string[]): Promise<number> {
  const { values: f } = parseArgs({
    args: argv,
    strict: true,
    options: { sources: { type: 'boolean' }, measure: { type: 'boolean' }, runs: { type: 'string' } },
  });
  if (f.sources && f.measure) return usage('--sources and --measure do not go together');
  if (f.runs !== undefined && !f.measure) return usage('--runs goes with --measure');
  const runs = f.runs === undefined ? undefined : Number(f.runs);
  if (runs !== undefined && !(Number.isInteger(runs) && runs >= 1 && runs <= 101))
    return usage(`--runs: "${f.runs}" is not a whole number 1..101`);
  if (f.measure) return measure(runs);
  if (!f.sources) {
    console.log(listProfiles().join('\n'));
    return 0;
  }
  for (const name of listProfiles()) {
    const p = loadProfile(name);
    console.log(`${name}: ${p.description}`);
    for (const c of COST_NAMES)
      console.log(`  ${c.padEnd(17)} ${String(p.costs[c].ns).padStart(5)} ns  ${describeSource(p.costs[c].source)}`);
  }
  return 0;
}

function measure(runs: number | undefined): number {
  let file: string;
  try {
    // a checkout installed before the helper existed has not built it: build it now (it says why if it cannot)
    if (!existsSync(OS_COSTS_BIN)) spawnSync(process.execPath, [join(OS_COSTS_DIR, 'build.js')], { stdio: 'inherit' });
    process.stderr.write(
      'vnflab: measuring a null system call and a context switch on this machine (tools/os-costs)\n',
    );
    const m = measureOsCosts({ runs });
    file = writeMeasuredProfile(measuredProfile(m, loadProfile('linux-3.10-xeon')));
  } catch (e) {
    process.stderr.write(`vnflab: ${(e as Error).message}\n`);
    return 1;
  }
  const p = loadProfile(MEASURED_PROFILE);
  console.log(`wrote ${file}`);
  for (const c of ['syscall', 'context_switch'] as const)
    console.log(`  ${c.padEnd(17)} ${String(p.costs[c].ns).padStart(5)} ns  ${describeSource(p.costs[c].source)}`);
  return 0;
}
