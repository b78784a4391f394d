// Measures what a pool change did to the hash space: how many slots changed owner, how many of
// those moved between backends that survived the change (the disruption Maglev minimises), and
// the ideal: the least any scheme must move to reach the new shares, sum of max(0, old - new)
// over backends (removing 1 of N equal backends: 1/N; adding 1 to N: 1/(N+1)).

import { fmix32 } from '@vnflab/core';
import { SLICE_CHUNK, SliceClock, type SliceSteps } from './selector';

export interface MappingDiff {
  /** Slots compared (the table size, or the sample count when the size changed). */
  compared: number;
  moved: number;
  /** Slots that moved from one surviving backend to another. */
  survivorsMoved: number;
  /** True when the sizes differed and uniform sample hashes were compared instead. */
  sampled: boolean;
}

export const SAMPLES = 1 << 18;

/** Compares two slot -> backend mappings; `survivors` are the backends eligible after the change. */
export function diffMappings(before: Int32Array, after: Int32Array, survivors: ReadonlySet<number>): MappingDiff {
  const steps = diffMappingsSteps(before, after, survivors);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** diffMappings in slices of SLICE_MS (a table of millions of slots is compared between batches). */
export function* diffMappingsSteps(
  before: Int32Array,
  after: Int32Array,
  survivors: ReadonlySet<number>,
): SliceSteps<MappingDiff> {
  const clock = new SliceClock();
  let moved = 0;
  let survivorsMoved = 0;
  const same = before.length === after.length;
  // different table sizes: compare where the same flow hashes land in each
  const total = same ? before.length : SAMPLES;
  for (let from = 0; from < total; from += SLICE_CHUNK) {
    if (clock.spent()) {
      yield;
      clock.restart();
    }
    const to = Math.min(total, from + SLICE_CHUNK);
    for (let k = from; k < to; k++) {
      let a: number;
      let b: number;
      if (same) {
        a = before[k];
        b = after[k];
      } else {
        const h = fmix32(k + 1);
        a = before[h % before.length];
        b = after[h % after.length];
      }
      if (a !== b) {
        moved++;
        if (survivors.has(a)) survivorsMoved++;
      }
    }
  }
  return { compared: total, moved, survivorsMoved, sampled: !same };
}

/** Total variation distance between two share distributions (id -> fraction). */
export function idealFraction(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let f = 0;
  for (const [id, s] of before) f += Math.max(0, s - (after.get(id) ?? 0));
  return f;
}

/** Ideal shares of the eligible backends: by weight, or equal when the algorithm ignores weights. */
export function idealShares(
  members: readonly { id: number; weight: number }[],
  weighted: boolean,
): Map<number, number> {
  const m = new Map<number, number>();
  const total = members.reduce((s, x) => s + (weighted ? x.weight : 1), 0);
  if (total > 0) for (const x of members) m.set(x.id, (weighted ? x.weight : 1) / total);
  return m;
}

/** Slots owned per backend id. */
export function slotCounts(mapping: Int32Array): Map<number, number> {
  const steps = slotCountsSteps(mapping);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** slotCounts in slices of SLICE_MS. */
export function* slotCountsSteps(mapping: Int32Array): SliceSteps<Map<number, number>> {
  const clock = new SliceClock();
  const m = new Map<number, number>();
  for (let from = 0; from < mapping.length; from += SLICE_CHUNK) {
    if (clock.spent()) {
      yield;
      clock.restart();
    }
    const to = Math.min(mapping.length, from + SLICE_CHUNK);
    for (let s = from; s < to; s++) {
      const id = mapping[s];
      if (id >= 0) m.set(id, (m.get(id) ?? 0) + 1);
    }
  }
  return m;
}
