// Cost profiles: costs with no JavaScript analogue (a VM exit, an interrupt entry, a mode
// switch), in nanoseconds, each with its published source. They are spent as a busy spin on the
// monotonic clock, so the CPU is really consumed and shows up in CPU metrics; never as a sleep.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface CostEntry {
  ns: number;
  source: string;
}

export interface CostProfile {
  name: string;
  description: string;
  costs: Record<string, CostEntry>;
}

/** Names of costs the stages spend; a profile must give every one. */
export const COST_NAMES = [
  'vm_exit', // one VM exit and re-entry, direct cost
  'irq_entry', // hardware interrupt entry and exit in the guest kernel
  'syscall', // one system call's mode switch
  'context_switch', // scheduling the receiving thread
  'device_model', // a trip to the device model (QEMU) for an emulated register access
  'posted_interrupt', // an interrupt delivered without a VM exit
] as const;
export type CostName = (typeof COST_NAMES)[number];

export const PROFILE_DIR = join(__dirname, '..', '..', 'profiles');

export function listProfiles(dir = PROFILE_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function validateProfile(p: unknown, where: string): CostProfile {
  const o = p as CostProfile;
  if (!o || typeof o !== 'object' || typeof o.name !== 'string' || typeof o.costs !== 'object' || o.costs === null) {
    throw new Error(`${where}: a cost profile needs "name", "description" and "costs"`);
  }
  for (const name of COST_NAMES) {
    const c = o.costs[name];
    if (!c) throw new Error(`${where}: costs.${name} is missing`);
    if (typeof c.ns !== 'number' || !Number.isFinite(c.ns) || c.ns < 0) throw new Error(`${where}: costs.${name}.ns must be a number >= 0`);
    if (typeof c.source !== 'string' || c.source.length === 0) throw new Error(`${where}: costs.${name}.source must name where the figure comes from`);
  }
  for (const k of Object.keys(o.costs)) {
    if (!(COST_NAMES as readonly string[]).includes(k)) throw new Error(`${where}: unknown cost "${k}" (known: ${COST_NAMES.join(', ')})`);
  }
  return o;
}

export function loadProfile(name: string, dir = PROFILE_DIR): CostProfile {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new Error(`bad profile name "${name}"`);
  let text: string;
  try {
    text = readFileSync(join(dir, `${name}.json`), 'utf8');
  } catch {
    throw new Error(`unknown cost profile "${name}" (available: ${listProfiles(dir).join(', ')})`);
  }
  return validateProfile(JSON.parse(text), `profile ${name}`);
}

/** Spins until the monotonic clock passes `ns` from now. */
function spinRaw(ns: number): void {
  const end = performance.now() + ns / 1e6;
  while (performance.now() < end) {
    /* busy: the modelled cost is real CPU time */
  }
}

/**
 * The fixed cost of one spin beyond what it was asked for (the call, the clock reads around the
 * loop, the last turn past the deadline), measured once at start-up and taken off every spin,
 * so a requested 1 us costs 1 us. Measured warm (cold, before the JIT compiled the loop, it
 * comes out at half its value), as the lower quartile of short runs, because a run the machine
 * preempted only ever reads high.
 */
function calibrateSpinOverheadNs(): number {
  for (let i = 0; i < 3000; i++) spinRaw(1000);
  const runs: number[] = [];
  for (let r = 0; r < 31; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) spinRaw(1000);
    runs.push(((performance.now() - t0) * 1e6) / 50 - 1000);
  }
  runs.sort((a, b) => a - b);
  return Math.max(0, Math.min(500, runs[Math.floor(runs.length / 4)]));
}

export const SPIN_OVERHEAD_NS = calibrateSpinOverheadNs();

/**
 * Spends `ns` nanoseconds of CPU by spinning on the clock, less the calibrated overhead of a
 * spin. Callers spend a whole batch's cost in one call, so the overhead is paid once per pass.
 */
export function spendNs(ns: number): void {
  if (ns <= 0) return;
  spinRaw(Math.max(0, ns - SPIN_OVERHEAD_NS));
}

/** A profile resolved to numbers for the hot path. */
export class Costs {
  readonly ns: Record<CostName, number>;
  constructor(readonly profile: CostProfile) {
    this.ns = {} as Record<CostName, number>;
    for (const n of COST_NAMES) this.ns[n] = profile.costs[n].ns;
  }
  /** Spends `count` occurrences of a cost in one spin (one spin per pass over a batch). */
  spend(name: CostName, count: number): void {
    if (count > 0) spendNs(this.ns[name] * count);
  }
}
