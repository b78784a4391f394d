// How long each reproduce measurement runs: long enough for a stable figure on a shared
// machine, short enough that `vnflab reproduce all` stays well under five minutes; --quick
// (tests) trades stability for time.

import type { StageEntry } from '@vnflab/core';
import type { WindowSpec } from './chain-window';
import type { MeasureContext } from './finding';

export function windowSpec(ctx: MeasureContext, middle: StageEntry[], rate = 0, durationS?: number): WindowSpec {
  return {
    middle,
    rate,
    warmupS: ctx.quick ? 0.05 : 0.3,
    durationS: durationS ?? (ctx.quick ? 0.15 : 1),
  };
}

/** Fixed-point text: 3 significant digits for small figures. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
}

/**
 * Said when an effect (a relative difference, e.g. 1 - ratio) is smaller than the spread between
 * windows of the same work: then the windows cannot tell the mechanism's effect from the load's.
 */
export function noiseNote(effect: number, spread: number): string {
  if (!(Math.abs(effect) < spread)) return '';
  return ` The difference (${(Math.abs(effect) * 100).toFixed(1)} %) is within this run's spread between windows of the same work (${(spread * 100).toFixed(1)} %): on this machine the windows cannot tell it from noise; repeat on a quiet machine.`;
}
