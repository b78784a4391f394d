// Cost profiles: costs with no JavaScript analogue (a VM exit, an interrupt entry, a mode
// switch), in nanoseconds, each with its source (cost-source.ts: a paper and its section, a
// measurement and its method, a formula, or an estimate marked as such). They are spent by the
// calibrated spin (spin.ts), so the CPU is really consumed; never as a sleep.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseFormula, validateCostSource, type CostSource } from './cost-source';
import { spendNs } from './spin';

export interface CostEntry {
  ns: number;
  source: CostSource;
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
    if (typeof c.ns !== 'number' || !Number.isFinite(c.ns) || c.ns < 0)
      throw new Error(`${where}: costs.${name}.ns must be a number >= 0`);
    c.source = validateCostSource(c.source, c.ns, `${where}: costs.${name}`, COST_NAMES);
  }
  for (const k of Object.keys(o.costs)) {
    if (!(COST_NAMES as readonly string[]).includes(k))
      throw new Error(`${where}: unknown cost "${k}" (known: ${COST_NAMES.join(', ')})`);
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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`profile ${name}: ${join(dir, `${name}.json`)} is not JSON (${(e as Error).message})`);
  }
  const profile = validateProfile(json, `profile ${name}`);
  checkFormulas(profile, `profile ${name}`, dir, [name]);
  return profile;
}

/**
 * A derived constant must equal its formula: references to this profile resolve here, others
 * load that profile (and its own formulas, so a chain of derivations is checked to the end).
 */
function checkFormulas(p: CostProfile, where: string, dir: string, loading: string[]): void {
  for (const name of COST_NAMES) {
    const src = p.costs[name].source;
    if (src.kind !== 'derived') continue;
    const formula = parseFormula(src.formula, `${where}: costs.${name}.source.formula`);
    const got = formula.evaluate((ref) => {
      if (ref.profile === null || ref.profile === p.name) return p.costs[ref.cost as CostName].ns;
      if (loading.includes(ref.profile))
        throw new Error(
          `${where}: costs.${name}.source.formula: profiles refer to each other in a circle (${[...loading, ref.profile].join(' -> ')})`,
        );
      const other = validateProfile(
        readProfileJson(ref.profile, dir, `${where}: costs.${name}.source.formula`),
        `profile ${ref.profile}`,
      );
      checkFormulas(other, `profile ${ref.profile}`, dir, [...loading, ref.profile]);
      return other.costs[ref.cost as CostName].ns;
    });
    if (Math.abs(got - p.costs[name].ns) > 1e-9)
      throw new Error(
        `${where}: costs.${name}.ns is ${p.costs[name].ns} but its formula "${src.formula}" gives ${got}`,
      );
  }
}

function readProfileJson(name: string, dir: string, where: string): unknown {
  try {
    return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  } catch {
    throw new Error(`${where}: no readable profile "${name}" (available: ${listProfiles(dir).join(', ')})`);
  }
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
