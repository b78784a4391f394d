// A free list of batches, so the embedded chain reuses buffers instead of allocating per batch
// (the same reason DPDK pre-allocates mbuf pools).

import { Batch } from './batch';

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

  put(b: Batch): void {
    if (b.capacity === this.batchSize) this.free.push(b);
  }

  get available(): number {
    return this.free.length;
  }
}
