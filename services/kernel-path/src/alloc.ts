// Packet buffer allocation, netmap's first cost. `per-packet` is Linux's sk_buff: a fresh
// metadata object for every packet (the head, which Linux takes from a slab: here V8's young
// generation) and, when the packet is copied out of the ring, fresh data for it (which
// netdev_alloc_skb cuts from a page fragment: here Buffer.allocUnsafe, which cuts it from Node's
// 8 KiB pool the same way). Both are left to the garbage collector, as kfree_skb leaves them to
// the slab; the collection work comes later and lands wherever the collector runs, so the
// breakdown's `-alloc` row, not the alloc category alone, shows the whole cost. `pool` is
// DPDK's mempool: both are made once and recycled, so a steady run allocates nothing.

import * as core from '@vnflab/core';
import type { StageStats } from '@vnflab/core';
import { Ev } from './events';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { BUF_SIZE } = core;

/** The per-packet metadata object the kernel passes up the stack (an sk_buff or an mbuf). */
export class SkBuff {
  /** The packet's batch slot, which is also the application's (user) buffer for it. */
  idx = 0;
  /** Where the bytes are now: the kernel buffer after a copy, else the ring buffer in guest memory. */
  buf: Buffer;
  off = 0;
  len = 0;
  /** The ring's mempool buffer this packet arrived in. */
  mbuf = -1;
  /** Socket the stack queued it to (-1: none). */
  sock = -1;

  constructor(
    /** The skb's own data buffer (null for a per-packet skb that points into the ring). */
    readonly data: Buffer | null,
    ring: Buffer,
  ) {
    this.buf = ring;
  }
}

export interface Allocator {
  readonly mode: 'per-packet' | 'pool';
  /**
   * An skb for a packet of `dataLen` bytes (0 is a valid, empty packet); -1 when no data buffer is needed (the ring -> kernel
   * copy is off and the skb points into the ring). Counts an alloc event per skb it creates.
   */
  get(dataLen: number, stats: StageStats): SkBuff;
  /** Gives an skb back once the application has it (or the stack dropped it). */
  put(skb: SkBuff): void;
  describe(): Record<string, number | string>;
}

/** A fresh sk_buff (and data) per packet: the real allocation and GC work of it. */
export class PerPacketAllocator implements Allocator {
  readonly mode = 'per-packet' as const;
  allocated = 0;

  constructor(private readonly ring: Buffer) {}

  get(dataLen: number, stats: StageStats): SkBuff {
    // no zero fill, as the kernel's allocators do not zero packet data
    const skb = new SkBuff(dataLen >= 0 ? Buffer.allocUnsafe(dataLen) : null, this.ring);
    this.allocated++;
    stats.event(Ev.alloc);
    return skb;
  }

  put(_skb: SkBuff): void {
    // dropping the last reference is the free; the collector does the rest
  }

  describe(): Record<string, number | string> {
    return { mode: this.mode, allocated: this.allocated };
  }
}

/**
 * Pre-allocated skbs with data buffers cut from one slab, recycled through a free stack. It only
 * grows (and counts an alloc event) if more packets are in flight than it was sized for.
 */
export class PoolAllocator implements Allocator {
  readonly mode = 'pool' as const;
  private readonly free: SkBuff[] = [];
  private readonly all: SkBuff[] = [];
  grown = 0;

  constructor(
    private readonly ring: Buffer,
    size: number,
  ) {
    const slab = Buffer.alloc(size * BUF_SIZE);
    for (let i = 0; i < size; i++) this.add(slab.subarray(i * BUF_SIZE, (i + 1) * BUF_SIZE));
  }

  private add(data: Buffer): void {
    const skb = new SkBuff(data, this.ring);
    this.all.push(skb);
    this.free.push(skb);
  }

  get(_dataLen: number, stats: StageStats): SkBuff {
    if (this.free.length === 0) {
      this.add(Buffer.allocUnsafeSlow(BUF_SIZE));
      this.grown++;
      stats.event(Ev.alloc);
    }
    const skb = this.free.pop() as SkBuff;
    skb.sock = -1;
    skb.mbuf = -1;
    return skb;
  }

  put(skb: SkBuff): void {
    this.free.push(skb);
  }

  get size(): number {
    return this.all.length;
  }

  get available(): number {
    return this.free.length;
  }

  describe(): Record<string, number | string> {
    return { mode: this.mode, size: this.all.length, available: this.free.length, grown: this.grown };
  }
}

export function createAllocator(mode: 'per-packet' | 'pool', ring: Buffer, poolSize: number): Allocator {
  return mode === 'pool' ? new PoolAllocator(ring, poolSize) : new PerPacketAllocator(ring);
}
