// Test helpers: wire batches of deterministic frames, a context with the zero cost profile, and
// a log that counts warnings.

import { Batch, Costs, StageStats, loadProfile, type ElementContext } from '@vnflab/core';
import type { Nic } from '../src/nic';

/** Fills a fresh batch with `n` frames of `len` bytes (or lengths from `len(i)`); packet i carries seq base+i. */
export function wireBatch(
  n: number,
  len: number | ((i: number) => number) = 64,
  base = 0,
  capacity = Math.max(n, 1),
): Batch {
  const b = Batch.allocate(capacity);
  for (let i = 0; i < n; i++) {
    const l = typeof len === 'number' ? len : len(i);
    const k = b.append(l);
    const o = b.offset(k);
    const seq = base + i;
    for (let j = 0; j < l; j++) b.buf[o + j] = (seq * 31 + j * 7 + (seq >>> 8)) & 0xff;
    b.setSeq(k, seq);
  }
  return b;
}

/** The bytes a frame of sequence `seq` must have. */
export function expectedFrame(seq: number, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let j = 0; j < len; j++) out[j] = (seq * 31 + j * 7 + (seq >>> 8)) & 0xff;
  return out;
}

export interface TestCtx extends ElementContext {
  warnings: number;
}

export function ctxFor(nic: Nic, profile = 'zero'): TestCtx {
  const c: TestCtx = {
    stats: new StageStats('nic', nic.variant),
    costs: new Costs(loadProfile(profile)),
    warnings: 0,
    log: {
      info() {},
      warn() {
        c.warnings++;
      },
      error() {},
    },
  };
  return c;
}

/** Runs one batch through the nic as the stage runner does (process, then compact dropped packets). */
export function runBatch(nic: Nic, b: Batch, ctx: ElementContext): { out: number; dropped: number } {
  const before = b.count;
  ctx.stats.packetsIn += before;
  const r: unknown = nic.process(b, ctx);
  if (r !== undefined) throw new Error('nic.process returned a promise');
  b.compact((reason) => ctx.stats.drop(reason));
  ctx.stats.packetsOut += b.count;
  return { out: b.count, dropped: before - b.count };
}

/** Every surviving packet's bytes are exactly the frame its sequence number says. */
export function expectIntact(b: Batch): void {
  for (let i = 0; i < b.count; i++) {
    const o = b.offset(i);
    const got = b.buf.subarray(o, o + b.length(i));
    if (!got.equals(expectedFrame(b.seq(i), b.length(i))))
      throw new Error(`packet ${i} (seq ${b.seq(i)}) was corrupted`);
  }
}
