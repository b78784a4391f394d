// What the element benchmarks share: a rate measured over a fixed time, and the floor — the least
// work any stage does per packet (parse verifying checksums, 5-tuple hash, destination rewrite with
// incremental checksums), the yardstick an element is compared with (as bench/floor.js measures it).

import { performance } from 'node:perf_hooks';
import type { Batch } from './batch/batch';
import { flowHash } from './packet/flow-hash';
import { parseFrame, type ParsedFrame } from './packet/parse';
import { rewriteDestination } from './packet/rewrite';

/** Runs `step` (which does `ops` operations) until `ms` have passed, after a JIT warm-up; operations per second. */
export function opsPerSecond(ms: number, ops: number, step: () => void): number {
  for (let i = 0; i < 3; i++) step();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    step();
    n += ops;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

/** The floor's work on every packet of `b`: returns the hashes' sum, so the work cannot be optimised away. */
export function floorPass(b: Batch, p: ParsedFrame, newDst: number, newPort: number): number {
  const buf = b.buf;
  let sink = 0;
  for (let i = 0, n = b.count; i < n; i++) {
    if (parseFrame(buf, b.offset(i), b.length(i), p) !== 0) throw new Error('floor: a frame did not parse');
    sink += flowHash(p.srcIp, p.dstIp, p.proto, p.srcPort, p.dstPort);
    rewriteDestination(buf, p.l3Off, p.l4Off, newDst, newPort);
  }
  return sink;
}
