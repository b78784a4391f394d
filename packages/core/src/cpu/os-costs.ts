// This machine's operating-system costs, measured by the native helper tools/os-costs (a null
// system call, a context switch between two processes on one CPU), made into the `measured` cost
// profile: per machine, so written next to the committed profiles but never committed.

import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { arch, cpus, release } from 'node:os';
import { join } from 'node:path';
import { COST_NAMES, PROFILE_DIR, validateProfile, type CostProfile } from './cost-profile';
import type { MeasuredSource } from './cost-source';

export const OS_COSTS_DIR = join(__dirname, '..', '..', '..', '..', 'tools', 'os-costs');
export const OS_COSTS_BIN = join(OS_COSTS_DIR, 'build', 'os-costs');
export const MEASURED_PROFILE = 'measured';

/** What the helper prints: medians over `runs` runs, in ns. */
export interface OsCosts {
  cpu: number;
  runs: number;
  null_syscall: { calls_per_run: number; ns: number };
  context_switch: { round_trips_per_run: number; round_trip_ns: number; pipe_alone_ns: number; ns: number };
}

/** Reads the helper's JSON line; a missing or non-positive figure is an error naming its key. */
export function parseOsCosts(text: string): OsCosts {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new Error(`os-costs: output is not JSON: ${text.trim().slice(0, 120)}`);
  }
  const num = (path: string): number => {
    const v = path
      .split('.')
      .reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), o);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`os-costs: ${path} is missing or not a number`);
    return v;
  };
  const positive = (path: string): number => {
    const v = num(path);
    if (v <= 0) throw new Error(`os-costs: ${path} is ${v}, not positive (a disturbed run; measure again)`);
    return v;
  };
  return {
    cpu: num('cpu'),
    runs: positive('runs'),
    null_syscall: { calls_per_run: positive('null_syscall.calls_per_run'), ns: positive('null_syscall.ns') },
    context_switch: {
      round_trips_per_run: positive('context_switch.round_trips_per_run'),
      round_trip_ns: positive('context_switch.round_trip_ns'),
      pipe_alone_ns: positive('context_switch.pipe_alone_ns'),
      ns: positive('context_switch.ns'),
    },
  };
}

export interface MeasureOptions {
  bin?: string;
  runs?: number;
  syscalls?: number;
  switches?: number;
}

/** Runs the helper (it takes a few seconds with the defaults). */
export function measureOsCosts(opts: MeasureOptions = {}): OsCosts {
  const bin = opts.bin ?? OS_COSTS_BIN;
  if (!existsSync(bin))
    throw new Error(`the os-costs helper is not built (${bin}); build it with: node tools/os-costs/build.js`);
  const args: string[] = [];
  if (opts.runs !== undefined) args.push('--runs', String(opts.runs));
  if (opts.syscalls !== undefined) args.push('--syscalls', String(opts.syscalls));
  if (opts.switches !== undefined) args.push('--switches', String(opts.switches));
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw new Error(`os-costs: ${r.error.message}`);
  if (r.status !== 0) throw new Error((r.stderr || `os-costs exited ${r.status ?? r.signal}`).trim());
  return parseOsCosts(r.stdout);
}

/** This machine in one line, for a measured source's `machine`. */
export function describeMachine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown CPU'}, ${c.length} CPUs, Linux ${release()}, ${arch()}`;
}

/**
 * The `measured` profile: this machine's null system call and context switch; the costs the
 * helper cannot measure (a VM exit, an interrupt entry, the device model, posted interrupts)
 * taken from `base` by formula, so each constant still says where it comes from.
 */
export function measuredProfile(
  m: OsCosts,
  base: CostProfile,
  opts: { machine?: string; date?: string } = {},
): CostProfile {
  const machine = opts.machine ?? describeMachine();
  const date = opts.date ?? new Date().toISOString().slice(0, 10);
  const tool = 'tools/os-costs/os-costs.c';
  const measured = (method: string): MeasuredSource => ({ kind: 'measured', method, machine, tool, date });
  const costs = Object.fromEntries(
    COST_NAMES.map((n) => [
      n,
      {
        ns: base.costs[n].ns,
        source: {
          kind: 'derived',
          formula: `${base.name}.${n}`,
          note: 'not measured by tools/os-costs; as the base profile',
        },
      },
    ]),
  ) as CostProfile['costs'];
  costs.syscall = {
    ns: Math.round(m.null_syscall.ns),
    source: measured(
      `null system call: syscall(SYS_getppid) in a loop of ${m.null_syscall.calls_per_run} calls, ns per call, median of ${m.runs} runs, pinned to CPU ${m.cpu}`,
    ),
  };
  costs.context_switch = {
    ns: Math.round(m.context_switch.ns),
    source: measured(
      `context switch: two processes pinned to CPU ${m.cpu} ping-pong one byte over two pipes (${m.context_switch.round_trips_per_run} round trips of two switches, median of ${m.runs} runs: ` +
        `${m.context_switch.round_trip_ns.toFixed(0)} ns), less the same pipe writes and reads by one process (${m.context_switch.pipe_alone_ns.toFixed(0)} ns), halved; Li, Ding, Shen, ExpCS 2007, §2`,
    ),
  };
  return validateProfile(
    {
      name: MEASURED_PROFILE,
      description: `This machine (${machine}), measured ${date}: system call and context switch; the rest as ${base.name}.`,
      costs,
    },
    `profile ${MEASURED_PROFILE}`,
  );
}

/** Writes the measured profile where `--profile measured` finds it; returns the file. */
export function writeMeasuredProfile(p: CostProfile, dir = PROFILE_DIR): string {
  const file = join(dir, `${MEASURED_PROFILE}.json`);
  writeFileSync(file, `${JSON.stringify(p, null, 2)}\n`);
  return file;
}
