// TX device side of native and passthrough: the physical NIC fetches every descriptor the
// doorbell handed it, DMA-reads the frame straight out of the guest buffer onto the wire
// (through the IOMMU, read-only, when one translates), writes DD back and raises moderated
// TX-completion interrupts. One DMA per frame, no copy by the CPU.

import * as core from '@vnflab/core';
import type { Batch, ElementContext } from '@vnflab/core';
import type { BurstCounts } from './burst';
import type { DmaPort } from './dma';
import { InterruptModerator } from './moderation';
import { ModeratedIrq } from './moderated-irq';
import { IOMMU_FAULT_REASON } from './reasons';
import { ICR_TXDW } from './registers';
import type { TxDeviceSide } from './sides';
import { TX_FAULT, TxDevice } from './tx-device';
import type { GuestRingTx } from './tx-guest-ring';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const CAT_PACKET_IO = core.Cat.packet_io;

export class NicDmaTx implements TxDeviceSide {
  readonly engine: TxDevice;
  readonly irq: ModeratedIrq;

  /** `tag`: ring slot -> index of the frame in the batch. */
  constructor(
    guest: GuestRingTx,
    port: DmaPort,
    private readonly tag: Int32Array,
    moderationCount: number,
    moderationUsecs: number,
  ) {
    this.engine = new TxDevice(guest.ring, port);
    this.irq = new ModeratedIrq(new InterruptModerator(moderationCount, moderationUsecs), guest.regs, ICR_TXDW);
  }

  transmit(batch: Batch, now: number, ctx: ElementContext, t: number, b: BurstCounts): number {
    const dev = this.engine;
    const irq = this.irq;
    const tag = this.tag;
    const buf = batch.buf;
    const timedHere = batch.createdHere; // the wire times are on this host's clock
    let interrupts = 0;
    let sent = 0;
    for (let s = dev.fetch(); s >= 0; s = dev.fetch()) {
      const i = tag[s];
      tag[s] = -1;
      if (dev.send(s, buf, batch.offset(i)) === TX_FAULT) batch.drop(i, IOMMU_FAULT_REASON);
      else sent++;
      // every DD write-back is a completion for the interrupt logic
      interrupts += irq.writeBack(timedHere ? batch.genNs(i) : 0, now);
    }
    interrupts += irq.idle();
    b.interrupts += interrupts;
    b.delivered += sent;
    b.dmas += sent;
    return ctx.stats.cpu.end(CAT_PACKET_IO, t);
  }

  describe(out: Record<string, unknown>): void {
    out.irq_moderation = this.irq.describe();
  }
}
