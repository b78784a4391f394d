// Remembers the ids of the last batches a sink accepted, so a batch delivered twice (the bus
// redelivered it after a failure) is counted as duplicates instead of received twice, whether or
// not its packets carry probes. Batches keep their id through every stage (elements work in
// place), and each generator start takes a fresh id range, so an id seen again is a copy.

export class BatchDedup {
  private readonly seenIds = new Set<number>();
  private readonly order: Float64Array;
  private next = 0;

  constructor(readonly window = 65536) {
    this.order = new Float64Array(window).fill(-1);
  }

  /** True if this batch id was already seen; otherwise remembers it. */
  seen(batchId: number): boolean {
    if (this.seenIds.has(batchId)) return true;
    const old = this.order[this.next];
    if (old >= 0) this.seenIds.delete(old);
    this.order[this.next] = batchId;
    this.next = (this.next + 1) % this.window;
    this.seenIds.add(batchId);
    return false;
  }
}
