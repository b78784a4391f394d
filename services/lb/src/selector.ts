// What every selection algorithm offers the load balancer: pick a backend for a new flow's
// hash, be rebuilt when the pool changes, and expose its hash-space mapping so a change can be
// measured (how many slots moved) without knowing which algorithm made it.

import { performance } from 'node:perf_hooks';

export const ALGORITHMS = ['maglev', 'round-robin', 'hash-mod-n'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** A computation done in slices: each `next()` does a bounded piece of work; the last returns T. */
export type SliceSteps<T> = Generator<void, T, void>;

/**
 * How long one slice may run, in milliseconds: a change built in slices between batches
 * (LbControl.schedule) delays a batch by about this much, whatever the table size.
 */
export const SLICE_MS = 0.5;
/** Slots written, probed or compared between two looks at the clock (well under SLICE_MS even with cache misses). */
export const SLICE_CHUNK = 1024;

/** Measures a slice: `spent()` is true once it has run SLICE_MS; `restart()` starts the next one. */
export class SliceClock {
  private t0 = performance.now();

  spent(): boolean {
    return performance.now() - this.t0 >= SLICE_MS;
  }

  restart(): void {
    this.t0 = performance.now();
  }
}

/** A backend eligible for new flows: up and with weight > 0. */
export interface Member {
  /** Backend id (index into the pool's arrays); what pick() returns. */
  id: number;
  name: string;
  weight: number;
}

export interface Selector {
  readonly algorithm: Algorithm;
  /** True when weights change how many flows a backend gets (hash-mod-n ignores them). */
  readonly weighted: boolean;
  /** Rebuilds from the eligible members; called on every pool change. */
  rebuild(members: readonly Member[]): void;
  /**
   * The same rebuild in slices, where one can take long (Maglev's M slots): the selector keeps
   * answering from its previous state until the last slice. Absent: rebuild() is quick.
   */
  build?(members: readonly Member[]): SliceSteps<void>;
  /** Backend id for a new flow, or -1 when no backend is eligible. May advance state (round-robin). */
  pick(hash: number): number;
  /** What pick(hash) would answer, without side effects; null when the answer does not depend on the hash. */
  peek(hash: number): number | null;
  /** Slot -> backend id over the hash space, or null when there is none (round-robin). */
  mapping(): Int32Array | null;
  /** Rebuilds so far and the duration of the last one. */
  readonly rebuilds: number;
  readonly lastBuildNs: number;
  readonly totalBuildNs: number;
}
