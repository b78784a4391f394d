// What the web server needs from the closed-loop runtime, typed narrowly here: `ctx.out.back()`
// to send records back toward the client and `batch.deliver(i)` to terminate the records it
// consumed (the contract in services/web-server/README.md). A host without them cannot run this
// stage, and says so in one line.

import type { Batch, ElementContext } from '@vnflab/core';
import type { RecordSink } from './records';

export interface RecordOutbox {
  /** A batch travelling back toward the source, with at least one free slot. */
  back(): RecordSink;
}

interface WithOutbox {
  readonly out?: RecordOutbox;
}

interface Delivering {
  deliver?(i: number): void;
}

export function outboxOf(ctx: ElementContext): RecordOutbox {
  const out = (ctx as ElementContext & WithOutbox).out;
  if (!out) throw new Error('web-server: the context has no outbox (ctx.out): the stage needs a loop chain');
  return out;
}

/** The batch's deliver, bound; throws when the host's batches cannot deliver. */
export function deliverOf(batch: Batch): (i: number) => void {
  const b = batch as Batch & Delivering;
  if (typeof b.deliver !== 'function')
    throw new Error('web-server: batch.deliver is missing: the stage needs the closed-loop runtime');
  return b.deliver.bind(b);
}
