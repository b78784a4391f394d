// `vnflab reproduce`: every published finding the lab is measured against, in a fixed order
// with stable names, each measured now on the same work as its paper. A chain measured by two
// rows (the Linux early drop, native NIC, the latency pairs) is run once per reproduce run.

import { cpus, loadavg, platform, release } from 'node:os';
import type { StageEntry, StageRegistry } from '@vnflab/core';
import { measureWindow, type ChainWindow, type WindowSpec } from './chain-window';
import { toRow, type Finding, type MeasureContext, type ReproRow } from './finding';
import { irqVsPollLatency, irqVsPollLatencyLoad, netmapPerPacket, xdpConntrackDrop, xdpDrop } from './kernel-findings';
import { maglevBalance, maglevDisruption } from './lb-findings';
import { mtcpFigure1 } from './mtcp-finding';
import { eliExit, eliPosted, virtioEventIdx, virtioOrder } from './nic-findings';

export const FINDINGS: readonly Finding[] = [
  netmapPerPacket,
  xdpDrop,
  xdpConntrackDrop,
  irqVsPollLatency,
  irqVsPollLatencyLoad,
  eliPosted,
  eliExit,
  virtioOrder,
  virtioEventIdx,
  maglevBalance,
  maglevDisruption,
  mtcpFigure1,
];

/** Alternating rounds per comparison (one with --quick). */
const ROUNDS = 3;

// The first chains of a run pay for compiling the stages' hot paths and sizing the heap; this
// unreported run (the NIC and the Linux receive path, the costliest code) takes that first.
const WARM_UP: StageEntry[] = [
  { stage: 'nic', variant: 'passthrough' },
  { stage: 'kernel-path', variant: 'kernel' },
];
const usesChains = (f: Finding): boolean => !f.name.startsWith('maglev-');

export const FINDING_NAMES: readonly string[] = FINDINGS.map((f) => f.name);

/** The rows `vnflab breakdown` prints beside its table: the ones about the receive path's CPU. */
export const BREAKDOWN_FINDINGS: readonly string[] = ['netmap-per-packet', 'xdp-drop', 'mtcp-figure1'];

export class UnknownFindingError extends Error {
  constructor(name: string) {
    super(`unknown finding "${name}" (known: ${FINDING_NAMES.join(', ')}, all)`);
    this.name = 'UnknownFindingError';
  }
}

/** Resolves names (or "all", or none = all) to findings in report order; throws on an unknown one. */
export function selectFindings(names: readonly string[]): Finding[] {
  if (names.length === 0 || names.includes('all')) return [...FINDINGS];
  for (const n of names) if (!FINDING_NAMES.includes(n)) throw new UnknownFindingError(n);
  return FINDINGS.filter((f) => names.includes(f.name));
}

export interface ReproduceOptions {
  registry: StageRegistry;
  /** Finding names; empty or ["all"] = every one. */
  names?: readonly string[];
  quick?: boolean;
  profile?: string;
  /** The default chain's middle stages (for mtcp-figure1); default kernel-path alone. */
  defaultMiddle?: StageEntry[];
  onRow?: (row: ReproRow, index: number, total: number) => void;
}

export interface ReproduceReport {
  rows: ReproRow[];
  profile: string;
  quick: boolean;
  /** The machine and its load when the run started: measured figures depend on both. */
  machine: { cpus: number; cpu_model: string; node: string; os: string; loadavg_1m: number };
  duration_s: number;
}

export async function runReproduce(o: ReproduceOptions): Promise<ReproduceReport> {
  const findings = selectFindings(o.names ?? []);
  const profile = o.profile ?? 'linux-3.10-xeon';
  const quick = o.quick ?? false;
  const seen = new Map<string, ChainWindow[]>();
  const ctx: MeasureContext = {
    registry: o.registry,
    quick,
    profile,
    defaultMiddle: o.defaultMiddle ?? [{ stage: 'kernel-path' }],
    async windows(specs: WindowSpec[]) {
      const keys = specs.map((s) => JSON.stringify(s));
      // a chain not measured yet in this run first runs once unreported: the stages' code may
      // have been compiled for other settings (deoptimised), and the first window would pay for it
      if (!quick)
        for (let i = 0; i < specs.length; i++)
          if (!seen.has(keys[i]))
            await measureWindow(o.registry, profile, { ...specs[i], durationS: specs[i].warmupS });
      for (let r = 0; r < (quick ? 1 : ROUNDS); r++) {
        for (let i = 0; i < specs.length; i++) {
          const w = await measureWindow(o.registry, profile, specs[i]);
          seen.set(keys[i], [...(seen.get(keys[i]) ?? []), w]);
        }
      }
      return keys.map((k) => seen.get(k)!);
    },
  };
  const c = cpus();
  const machine = {
    cpus: c.length,
    cpu_model: c[0]?.model ?? 'unknown',
    node: process.version,
    os: `${platform()} ${release()}`,
    loadavg_1m: loadavg()[0],
  };
  const t0 = performance.now();
  if (findings.some(usesChains))
    await measureWindow(o.registry, profile, { middle: WARM_UP, rate: 0, warmupS: 0, durationS: quick ? 0.1 : 1 });
  const rows: ReproRow[] = [];
  for (const f of findings) {
    const row = toRow(f, await f.measure(ctx));
    rows.push(row);
    o.onRow?.(row, rows.length, findings.length);
  }
  return { rows, profile, quick: ctx.quick, machine, duration_s: (performance.now() - t0) / 1e3 };
}
