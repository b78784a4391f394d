// Fixed-size chunks, each holding one segment's bytes, shared by every connection's send queue
// (sent-but-unacknowledged and not-yet-sent segments) and out-of-order queue. Preallocated at
// start and handed out from a free stack, so a busy endpoint neither allocates nor grows.

export class SegmentPool {
  readonly data: Buffer;
  readonly seq: Uint32Array;
  readonly len: Uint16Array;
  /** Where the chunk's bytes start inside it (a partly acknowledged segment moves this). */
  readonly start: Uint16Array;
  /** FIN carried after the bytes (out-of-order queue). */
  readonly fin: Uint8Array;
  /** The next chunk in the owner's list, or -1. */
  readonly next: Int32Array;
  private readonly freeStack: Int32Array;
  private freeTop: number;

  constructor(
    readonly count: number,
    readonly chunkBytes: number,
  ) {
    this.data = Buffer.alloc(count * chunkBytes);
    this.seq = new Uint32Array(count);
    this.len = new Uint16Array(count);
    this.start = new Uint16Array(count);
    this.fin = new Uint8Array(count);
    this.next = new Int32Array(count).fill(-1);
    this.freeStack = new Int32Array(count);
    for (let i = 0; i < count; i++) this.freeStack[i] = count - 1 - i;
    this.freeTop = count;
  }

  get free(): number {
    return this.freeTop;
  }

  /** A chunk, or -1 when none is left. */
  alloc(): number {
    if (this.freeTop === 0) return -1;
    const c = this.freeStack[--this.freeTop];
    this.next[c] = -1;
    this.start[c] = 0;
    this.len[c] = 0;
    this.fin[c] = 0;
    return c;
  }

  release(c: number): void {
    this.freeStack[this.freeTop++] = c;
  }

  /** Byte offset in `data` of the chunk's first unconsumed byte. */
  offset(c: number): number {
    return c * this.chunkBytes + this.start[c];
  }

  /** Releases a whole list from `head`. */
  releaseList(head: number): void {
    while (head >= 0) {
      const n = this.next[head];
      this.release(head);
      head = n;
    }
  }
}
