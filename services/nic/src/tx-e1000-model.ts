// TX device side of emulated: after the trapped TDT write, QEMU's e1000 model - the same transmit
// engine as the physical NIC - copies each frame out of the guest's buffer into host memory,
// writes DD back and raises moderated TX-completion interrupts; the host's NIC DMAs the copy
// onto the wire.
// All of it runs on the host (the vhost worker or QEMU, the host's NIC driver): host.

import * as core from '@vnflab/core';
import type { Batch, ElementContext } from '@vnflab/core';
import type { BurstCounts } from './burst';
import type { DmaPort } from './dma';
import type { HostNicTx } from './host-nic-tx';
import { InterruptModerator } from './moderation';
import { ModeratedIrq } from './moderated-irq';
import { IOMMU_FAULT_REASON } from './reasons';
import { ICR_TXDW } from './registers';
import type { TxDeviceSide } from './sides';
import { TX_FAULT, TxDevice } from './tx-device';
import type { GuestRingTx } from './tx-guest-ring';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const CAT_HOST = core.Cat.host;

export class E1000ModelTx implements TxDeviceSide {
  readonly engine: TxDevice;
  readonly irq: ModeratedIrq;

  /** `tag`: ring slot -> index of the frame in the batch. */
  constructor(
    guest: GuestRingTx,
    port: DmaPort,
    private readonly tag: Int32Array,
    moderationCount: number,
    moderationUsecs: number,
    readonly host: HostNicTx,
  ) {
    this.engine = new TxDevice(guest.ring, port);
    this.irq = new ModeratedIrq(new InterruptModerator(moderationCount, moderationUsecs), guest.regs, ICR_TXDW);
  }

  transmit(batch: Batch, now: number, ctx: ElementContext, t: number, b: BurstCounts): number {
    const dev = this.engine;
    const irq = this.irq;
    const tag = this.tag;
    const host = this.host;
    const hostBytes = host.bytes;
    const buf = batch.buf;
    const timedHere = batch.createdHere; // the wire times are on this host's clock
    let interrupts = 0;
    let sent = 0;
    for (let s = dev.fetch(); s >= 0; s = dev.fetch()) {
      const i = tag[s];
      tag[s] = -1;
      const r = dev.send(s, hostBytes, 0);
      if (r === TX_FAULT) batch.drop(i, IOMMU_FAULT_REASON);
      else {
        sent++;
        host.wire(buf, batch.offset(i), r);
      }
      // every DD write-back is a completion for the interrupt logic
      interrupts += irq.writeBack(timedHere ? batch.genNs(i) : 0, now);
    }
    interrupts += irq.idle();
    b.interrupts += interrupts;
    b.delivered += sent;
    b.copies += sent;
    b.dmas += sent;
    return ctx.stats.cpu.end(CAT_HOST, t);
  }

  describe(out: Record<string, unknown>): void {
    out.irq_moderation = this.irq.describe();
  }
}
