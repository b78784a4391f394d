// The transmit side of stack tcp: every segment TCP sends (SYN-ACK, ACK, data, FIN, RST) is built
// in an sk_buff of its own, as tcp_transmit_skb builds each one, and handed to the driver. The
// skb comes from the same allocator as the receive path's (per-packet: a fresh object and data
// buffer; pool: recycled), billed `alloc`; TCP writes the headers and checksums into its data
// (billed `protocol` by the caller's split). Handing the frame on is the lab's transport: its
// bytes go into a slot of ctx.out.back(), the batch the nic stage transmits from, billed `bus` as
// the receive side's DMA into the ring is. The skb is then freed (Linux frees it at the TX
// completion the nic stage models; the count is the same).

import * as core from '@vnflab/core';
import type { Outbox, StageStats } from '@vnflab/core';
import type { FrameSlot, TcpSink } from '@vnflab/tcp';
import type { Allocator, SkBuff } from './alloc';
import type { CpuSplit } from './cpu-split';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { Cat } = core;

export class TxSkbs implements TcpSink {
  /** Segments handed to the driver. */
  sent = 0;
  /** Segments for which the outbox had no room (TCP counts them `tx_no_room`). */
  noRoom = 0;
  private skb: SkBuff | null = null;
  private out: Outbox | null = null;
  private stats: StageStats | null = null;

  constructor(
    private allocator: Allocator,
    private readonly split: CpuSplit,
  ) {}

  /** The allocator changed (reconfiguration). */
  useAllocator(a: Allocator): void {
    this.allocator = a;
  }

  /** Where this pass's segments go and whose counters they touch. */
  use(out: Outbox | null, stats: StageStats): void {
    this.out = out;
    this.stats = stats;
  }

  reserve(len: number, slot: FrameSlot): boolean {
    if (this.out === null) throw new Error('kernel-path: stack tcp transmitted outside a pass with an outbox');
    const prev = this.split.switchTo(Cat.alloc);
    const skb = this.allocator.get(len, this.stats as StageStats);
    this.split.switchTo(prev);
    if (skb.data === null || skb.data.length < len) {
      this.allocator.put(skb);
      this.noRoom++;
      return false;
    }
    this.skb = skb;
    slot.buf = skb.data;
    slot.off = 0;
    return true;
  }

  commit(_slot: FrameSlot, len: number): void {
    const skb = this.skb as SkBuff;
    this.skb = null;
    const prev = this.split.switchTo(Cat.bus);
    const b = (this.out as Outbox).back();
    const i = b.append(len);
    if (i >= 0) {
      (skb.data as Buffer).copy(b.buf, b.offset(i), 0, len);
      this.sent++;
    } else this.noRoom++;
    this.split.switchTo(Cat.alloc);
    this.allocator.put(skb);
    this.split.switchTo(prev);
  }
}
