// CLOCK_MONOTONIC in nanoseconds as a double, without allocating a BigInt per reading.
// process.hrtime.bigint() is CLOCK_MONOTONIC and shared by every process on the host;
// performance.now() reads the same clock relative to this process's origin, so one anchor
// reading converts the cheap clock to the shared one.

import { performance } from 'node:perf_hooks';

const anchor = Number(process.hrtime.bigint()) - performance.now() * 1e6;

/** Nanoseconds on CLOCK_MONOTONIC (comparable across processes on one host). */
export function monoNs(): number {
  return anchor + performance.now() * 1e6;
}

/** Wall-clock time since the Unix epoch as seconds and nanoseconds, for pcap timestamps. */
export function wallTime(): { sec: number; nsec: number } {
  const ms = performance.timeOrigin + performance.now();
  const sec = Math.floor(ms / 1e3);
  return { sec, nsec: Math.min(999999999, Math.round((ms - sec * 1e3) * 1e6)) };
}
