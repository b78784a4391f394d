// How long this process's main thread (the event loop) waited for a CPU: the kernel's scheduler
// statistics, /proc/self/schedstat (Linux, CONFIG_SCHED_INFO). Three numbers: nanoseconds it ran,
// nanoseconds it was runnable while other tasks had every CPU, and the periods it ran (each
// wake-up or preemption starts one). A batch that arrives while its stage waits there waits with
// it: on a machine with fewer cores than busy processes this is a hop's latency that no stage's
// CPU account contains. Read when scraped or summarised, never per batch.

import { readFileSync } from 'node:fs';

export interface RunQueueReading {
  runNs: number;
  waitNs: number;
  periods: number;
}

const SCHEDSTAT = '/proc/self/schedstat';

/** This process's main thread's scheduler counters since it started, or null where the kernel has none. */
export function readRunQueue(path = SCHEDSTAT): RunQueueReading | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const f = text.trim().split(/\s+/).map(Number);
  if (f.length < 3 || !f.slice(0, 3).every((x) => Number.isFinite(x) && x >= 0)) return null;
  return { runNs: f[0], waitNs: f[1], periods: f[2] };
}
