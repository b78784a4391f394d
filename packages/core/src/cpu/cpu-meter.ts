// Measures CPU time per category with a monotonic clock around each pass over a batch. The cost
// of reading the clock itself is measured once and subtracted, so the timer does not bill
// itself to a category.

import { performance } from 'node:perf_hooks';
import { CATEGORIES, type Category, Cat } from './categories';

function measureTimerCostNs(): number {
  const n = 20000;
  let x = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) x += performance.now();
  const t1 = performance.now();
  if (x === 42) return 0; // keep the loop alive
  return ((t1 - t0) * 1e6) / n;
}

export const TIMER_COST_NS = measureTimerCostNs();

// Nanoseconds billed by every meter in this process. An element that awaits the event loop (an
// interrupt's hop) lets other stages run inside its process() call; this total lets the runner
// and the element tell their own time from the work of stages that ran meanwhile.
let processBilled = 0;
// Nanoseconds of such waits that no stage billed (the loop's own turn, the runtime's bookkeeping,
// GC): they are nobody's work, so they count as accounted and a runner does not bill them to the
// stage that waited.
let processSetAside = 0;

/** Total nanoseconds accounted so far: billed by all CpuMeters of this process, plus set aside. */
export function processBilledNs(): number {
  return processBilled + processSetAside;
}

/** Sets aside `ns` of a wait on the event loop that no stage billed (see processSetAsideNs). */
export function setAsideWaitNs(ns: number): void {
  if (ns > 0) processSetAside += ns;
}

/** Nanoseconds of waits on the event loop set aside so far, billed to no stage. */
export function processSetAsideNs(): number {
  return processSetAside;
}

export class CpuMeter {
  /** Nanoseconds per category, indexed by Cat[...]. */
  readonly ns = new Float64Array(CATEGORIES.length);

  /** Start a measurement: returns the start reading. */
  begin(): number {
    return performance.now();
  }

  /** End a measurement started by begin() and bill it to category `cat` (a Cat index). */
  end(cat: number, t0: number): number {
    const t1 = performance.now();
    let d = (t1 - t0) * 1e6 - TIMER_COST_NS;
    if (d < 0) d = 0;
    this.ns[cat] += d;
    processBilled += d;
    return t1;
  }

  /** Bills an already measured duration. */
  add(cat: number, ns: number): void {
    this.ns[cat] += ns;
    processBilled += ns;
  }

  seconds(cat: Category): number {
    return this.ns[Cat[cat]] / 1e9;
  }

  totalNs(): number {
    let s = 0;
    for (let i = 0; i < this.ns.length; i++) s += this.ns[i];
    return s;
  }

  snapshot(): Record<Category, number> {
    const out = {} as Record<Category, number>;
    CATEGORIES.forEach((c, i) => (out[c] = this.ns[i] / 1e9));
    return out;
  }
}
