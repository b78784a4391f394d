// What stack tcp needs from the closed-loop runtime, typed narrowly here: `ctx.out` to originate
// segments (back toward the client) and records (forward to the application), and
// `batch.deliver(i)` to terminate what it consumed. A host without them cannot run stack tcp, and
// says so in one line.

import type { Batch, ElementContext } from '@vnflab/core';

/** A batch to append originated packets to (core's Batch has this shape). */
export interface OutBatch {
  readonly buf: Buffer;
  append(len: number): number;
  offset(i: number): number;
  setLength(i: number, v: number): void;
}

export interface LoopOutbox {
  forward(): OutBatch;
  back(): OutBatch;
}

interface WithOutbox {
  readonly out?: LoopOutbox;
}

interface Delivering {
  deliver?(i: number): void;
}

export function outboxOf(ctx: ElementContext): LoopOutbox {
  const out = (ctx as ElementContext & WithOutbox).out;
  if (!out)
    throw new Error('kernel-path: stack tcp needs a loop chain (loop: true): the context has no outbox (ctx.out)');
  return out;
}

/** Marks slot i of `batch` delivered (terminated here); throws when the host's batches cannot. */
export function deliver(batch: Batch, i: number): void {
  const b = batch as Batch & Delivering;
  if (typeof b.deliver !== 'function')
    throw new Error('kernel-path: batch.deliver is missing: stack tcp needs the closed-loop runtime');
  b.deliver(i);
}
