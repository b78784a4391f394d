// A free list of batches, so a chain reuses buffers instead of allocating per batch (the same
// reason DPDK pre-allocates mbuf pools): the embedded chain's batches, and a stage service's
// outbox and decoded inputs.

import { Batch, batchBytes } from './batch';

export class BatchPool {
  private readonly free: Batch[] = [];
  allocated = 0;
  /** Bytes of each of its batches. */
  readonly bytesEach: number;

  constructor(
    readonly batchSize: number,
    readonly maxFrame = 1518,
  ) {
    this.bytesEach = batchBytes(batchSize, maxFrame);
  }

  get(): Batch {
    const b = this.free.pop() ?? (this.allocated++, Batch.allocate(this.batchSize, this.maxFrame));
    b.reset();
    return b;
  }

  /** Takes back a batch of this pool's size (one made for fewer or shorter packets is left to the collector). */
  put(b: Batch): void {
    if (b.capacity === this.batchSize && b.buf.length >= this.bytesEach) this.free.push(b);
  }

  get available(): number {
    return this.free.length;
  }
}
