// CLOCK_MONOTONIC in nanoseconds as a double, without allocating a BigInt per reading.
// process.hrtime.bigint() is CLOCK_MONOTONIC and shared by every process on the host;
// performance.now() reads the same clock relative to this process's origin, so one anchor
// reading converts the cheap clock to the shared one.

import { readFileSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
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

/**
 * Which host's CLOCK_MONOTONIC monoNs() reads, as a non-zero 32-bit id. CLOCK_MONOTONIC counts
 * from the kernel's boot, so every process and container under one kernel shares it, and the
 * kernel's boot id names it; two readings are comparable only when their ids are equal. Without
 * /proc (not Linux), the host name and boot time stand in for it.
 */
export const CLOCK_DOMAIN = fnv1a(readBootId());

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return `${hostname()}@${Math.round(Date.now() / 1e3 - uptime())}`;
  }
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1; // 0 means "no clock" on a batch
}
