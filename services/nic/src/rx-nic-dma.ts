// RX device side of native and passthrough: the physical NIC DMAs each frame off the wire
// straight into the guest driver's buffers (through the IOMMU when one translates) and raises
// moderated interrupts. One DMA per frame, no copy by the CPU.

import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, ElementContext } from '@vnflab/core';
import type { BurstCounts } from './burst';
import type { RxRingFill } from './rx-ring-fill';
import type { RxDeviceSide } from './sides';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const CAT_PACKET_IO = core.Cat.packet_io;

export class NicDmaRx implements RxDeviceSide {
  constructor(readonly fill: RxRingFill) {}

  receive(batch: Batch, now: number, ctx: ElementContext, t: number, b: BurstCounts): number {
    const fill = this.fill;
    const dev = fill.engine;
    const buf = batch.buf;
    const n = batch.count;
    const received0 = dev.received;
    const missed0 = dev.missed;
    let interrupts = 0;
    for (let i = 0; i < n; i++) {
      if (batch.alive(i)) interrupts += fill.frame(batch, i, buf, batch.offset(i), batch.length(i), now);
    }
    interrupts += fill.idle();
    const accepted = dev.received - received0;
    b.interrupts += interrupts;
    b.delivered += accepted;
    b.dmas += accepted;
    b.missed += dev.missed - missed0;
    return ctx.stats.cpu.end(CAT_PACKET_IO, t);
  }

  describe(out: Record<string, unknown>): void {
    out.irq_moderation = this.fill.irq.describe();
  }

  metrics(_labels: Record<string, string>, _out: CustomMetricSpec[]): void {}
}
