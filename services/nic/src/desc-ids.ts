// The guest driver's side table for a virtqueue: which descriptor ids are free, and which pool
// buffer each in-flight id carries (virtio-net's per-descriptor token). A stack of free ids in a
// typed array, so taking and returning an id allocates nothing.

export class DescIdTable {
  private readonly bufOf: Int32Array;
  private readonly freeIds: Uint16Array;
  private freeTop: number;

  constructor(size: number) {
    this.bufOf = new Int32Array(size).fill(-1);
    this.freeIds = new Uint16Array(size);
    for (let i = 0; i < size; i++) this.freeIds[i] = size - 1 - i;
    this.freeTop = size;
  }

  /** Free descriptor ids. */
  get free(): number {
    return this.freeTop;
  }

  /** Takes a free id for pool buffer `b`; -1 when every descriptor is in flight. */
  take(b: number): number {
    if (this.freeTop === 0) return -1;
    const id = this.freeIds[--this.freeTop];
    this.bufOf[id] = b;
    return id;
  }

  /** Returns descriptor `id` (used by the device) and gives back its buffer; throws if it was not in flight. */
  give(id: number, what: string): number {
    const b = this.bufOf[id];
    if (b < 0) throw new Error(`${what}: device returned descriptor ${id}, which is not in flight`);
    this.bufOf[id] = -1;
    this.freeIds[this.freeTop++] = id;
    return b;
  }
}
