// What `vnflab reproduce` reports per published finding, and what a finding is: its figure, the
// setup the paper measured it in, a band chosen before measuring, and a measure() that runs the
// lab on the same work and says which mechanism explains a miss. Bands are never fitted.

import type { StageEntry, StageRegistry } from '@vnflab/core';
import type { ChainWindow, WindowSpec } from './chain-window';

/** One row of the report (the JSON schema `--json` writes, one object per finding). */
export interface ReproRow {
  /** Stable id, e.g. netmap-per-packet. */
  name: string;
  source: string;
  /** The paper's setup, then ours ("lab: ..."). */
  setup: string;
  /** The paper's figure in `unit`; null when the paper states an order, not a number. */
  published: number | null;
  measured: number;
  unit: string;
  /** [low, high], low <= high, in `unit`. */
  band: [number, number];
  /** low <= measured <= high. */
  in_band: boolean;
  /** Inside the band: what the figure rests on; outside: the mechanism that explains the miss. */
  explanation: string;
}

export interface MeasureContext {
  registry: StageRegistry;
  /** Short windows (for tests); the figures are noisier. */
  quick: boolean;
  /** Cost profile for every chain. */
  profile: string;
  /** The default chain's middle stages (nic, kernel-path, lb), for the rows that run it as it stands. */
  defaultMiddle: StageEntry[];
  /**
   * Measures the specs in alternation, `rounds` times over (the machine is shared: alternating
   * spreads its drift over every spec), and returns each spec's windows so far in this run,
   * earlier ones included; a spec another row measured already is measured again only in the
   * rounds asked for here.
   */
  windows(specs: WindowSpec[]): Promise<ChainWindow[][]>;
}

/** What a finding's measurement returns; the row is completed from it and the finding's band. */
export interface Measurement {
  measured: number;
  /** Lab setup actually run, appended to the finding's setup. */
  lab: string;
  /** Said when the figure is inside the band. */
  inBand: string;
  /** Said when it is outside: the mechanism that explains the miss. */
  miss: string;
}

export interface Finding {
  name: string;
  source: string;
  setup: string;
  published: number | null;
  unit: string;
  band: readonly [number, number];
  /** Why this band, when the paper gives a single figure or an order rather than a range. */
  bandWhy?: string;
  measure(ctx: MeasureContext): Promise<Measurement>;
}

export function inBand(measured: number, band: readonly [number, number]): boolean {
  return Number.isFinite(measured) && measured >= band[0] && measured <= band[1];
}

/** Completes a row from its finding and measurement. */
export function toRow(f: Finding, m: Measurement): ReproRow {
  const ok = inBand(m.measured, f.band);
  const why = f.bandWhy ? ` Band: ${f.bandWhy}` : '';
  return {
    name: f.name,
    source: f.source,
    setup: `${f.setup} Lab: ${m.lab}`,
    published: f.published,
    measured: m.measured,
    unit: f.unit,
    band: [f.band[0], f.band[1]],
    in_band: ok,
    explanation: (ok ? m.inBand : m.miss) + why,
  };
}
