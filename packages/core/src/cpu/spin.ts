// The calibrated spin: how a cost profile's nanoseconds are spent. A busy loop on the monotonic
// clock, so the CPU is really consumed and shows up in CPU metrics; never a sleep.

import { performance } from 'node:perf_hooks';

export interface Spin {
  /** The fixed cost of one spin beyond what it was asked for, measured at start-up. */
  readonly overheadNs: number;
  /** Spends `ns` nanoseconds, less the overhead, so a requested 1 us costs 1 us. */
  spend(ns: number): void;
}

/**
 * A spin on the clock `now` (milliseconds). The overhead (the call, the clock reads around the
 * loop, the last turn past the deadline) is measured warm (cold, before the JIT compiled the
 * loop, it comes out at half its value), as the lower quartile of short runs, because a run the
 * machine preempted only ever reads high. The clock is a parameter so a test can drive it.
 */
export function calibratedSpin(now: () => number): Spin {
  const spinRaw = (ns: number): void => {
    const end = now() + ns / 1e6;
    while (now() < end) {
      /* busy: the modelled cost is real CPU time */
    }
  };
  for (let i = 0; i < 3000; i++) spinRaw(1000);
  const runs: number[] = [];
  for (let r = 0; r < 31; r++) {
    const t0 = now();
    for (let i = 0; i < 50; i++) spinRaw(1000);
    runs.push(((now() - t0) * 1e6) / 50 - 1000);
  }
  runs.sort((a, b) => a - b);
  const overheadNs = Math.max(0, Math.min(500, runs[Math.floor(runs.length / 4)]));
  return {
    overheadNs,
    spend(ns: number): void {
      if (ns > 0) spinRaw(Math.max(0, ns - overheadNs));
    },
  };
}

const spin = calibratedSpin(() => performance.now());

export const SPIN_OVERHEAD_NS = spin.overheadNs;

/**
 * Spends `ns` nanoseconds of CPU on the real clock. Callers spend a whole batch's cost in one
 * call, so the overhead is paid once per pass. How close a requested 1 us comes on this machine
 * is measured by the foundation benchmark (bench/foundation.js).
 */
export const spendNs: (ns: number) => void = spin.spend;
