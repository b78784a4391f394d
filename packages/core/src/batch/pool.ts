// A free list of batches, so the embedded chain reuses buffers instead of allocating per batch
// (the same reason DPDK pre-allocates mbuf pools).

import { Batch, batchBytes } from './batch';

export class BatchPool {
  private readonly free: Batch[] = [];
  allocated = 0;

  constructor(
    readonly batchSize: number,
    readonly maxFrame = 1518,
  ) {}

  get(): Batch {
    const b = this.free.pop() ?? (this.allocated++, Batch.allocate(this.batchSize, this.maxFrame));
    b.reset();
    return b;
  }

  /** Takes back a batch of this pool's size (one made for fewer or shorter packets is left to the collector). */
  put(b: Batch): void {
    if (b.capacity === this.batchSize && b.buf.length >= this.bytesEach) this.free.push(b);
  }

  /** Bytes of each of its batches. */
  get bytesEach(): number {
    return batchBytes(this.batchSize, this.maxFrame);
  }

  get available(): number {
    return this.free.length;
  }
}
