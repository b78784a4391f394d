// A packet-buffer pool (DPDK mempool / mbuf style): a region of guest memory cut into fixed-size
// buffers once, handed out and taken back by index through a free stack. Nothing is allocated
// per packet; getting and putting a buffer is an array push/pop.

import type { GuestMemory } from './guest-memory';

/** Packet buffers are 2 KiB, like mbufs and the 82599's default SRRCTL.BSIZEPACKET. */
export const BUF_SIZE = 2048;

export class Mempool {
  /** GPA of buffer 0; buffer i is at base + i * bufSize. */
  readonly base: number;
  private readonly free: Uint32Array;
  private top: number;
  /** 1 while a buffer is handed out: catches double frees, which would corrupt the ring. */
  private readonly out: Uint8Array;

  constructor(
    readonly mem: GuestMemory,
    readonly count: number,
    readonly bufSize = BUF_SIZE,
  ) {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`mempool count ${count} must be a positive integer`);
    if (!Number.isInteger(bufSize) || bufSize < 64 || (bufSize & (bufSize - 1)) !== 0)
      throw new RangeError(`mempool buffer size ${bufSize} must be a power of two >= 64`);
    this.base = mem.carve(count * bufSize, bufSize);
    this.free = new Uint32Array(count);
    // the stack pops low indices first, so a fresh pool hands out buffers in address order
    for (let i = 0; i < count; i++) this.free[i] = count - 1 - i;
    this.top = count;
    this.out = new Uint8Array(count);
  }

  /** Takes a buffer; returns its index, or -1 when the pool is empty. */
  get(): number {
    if (this.top === 0) return -1;
    const i = this.free[--this.top];
    this.out[i] = 1;
    return i;
  }

  /** Gives a buffer back. Throws on a buffer that is not out (double free or foreign index). */
  put(i: number): void {
    if (!(i >= 0 && i < this.count) || this.out[i] !== 1) throw new Error(`mempool: buffer ${i} is not handed out`);
    this.out[i] = 0;
    this.free[this.top++] = i;
  }

  /** Guest physical address of buffer i. */
  addr(i: number): number {
    return this.base + i * this.bufSize;
  }

  /** Buffer index of a GPA inside the pool, or -1. */
  indexOf(gpa: number): number {
    const d = gpa - this.base;
    if (d < 0 || d >= this.count * this.bufSize) return -1;
    return Math.floor(d / this.bufSize);
  }

  /** Buffers free in the pool. */
  get available(): number {
    return this.top;
  }

  /** Buffers handed out. */
  get inUse(): number {
    return this.count - this.top;
  }
}
