// What a driver's poll took off its ring this burst: buffer index, length and the ring slot (or
// virtqueue descriptor id) it came from, in arrival order. Preallocated typed arrays, reset per
// burst, so harvesting allocates nothing.

export class HarvestQueue {
  readonly buf: Int32Array;
  readonly len: Int32Array;
  readonly slot: Int32Array;
  n = 0;

  constructor(readonly capacity: number) {
    this.buf = new Int32Array(capacity);
    this.len = new Int32Array(capacity);
    this.slot = new Int32Array(capacity);
  }

  push(buf: number, len: number, slot: number): void {
    if (this.n >= this.capacity) throw new Error(`harvest queue full (${this.capacity})`);
    this.buf[this.n] = buf;
    this.len[this.n] = len;
    this.slot[this.n] = slot;
    this.n++;
  }

  reset(): void {
    this.n = 0;
  }
}
