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

/** Wall-clock nanoseconds since the Unix epoch, for pcap timestamps. */
export function wallNs(): number {
  return (performance.timeOrigin + performance.now()) * 1e6;
}
