// Filling the guest's RX descriptor ring: the receive engine takes a frame into the next posted
// buffer and writes the descriptor back, and every write-back is a receive event for its
// moderated interrupt line (RXT0). The physical NIC does this straight off the wire (native,
// passthrough) and QEMU's e1000 model out of host RAM (emulated); only the source differs.

import type { Batch } from '@vnflab/core';
import { BUF_SIZE, Reason } from '@vnflab/core';
import type { DmaPort } from './dma';
import { InterruptModerator } from './moderation';
import { ModeratedIrq } from './moderated-irq';
import { IOMMU_FAULT_REASON, RX_MISSED_REASON } from './reasons';
import { ICR_RXT0 } from './registers';
import { RX_FAULT, RX_MISSED, RxDevice } from './rx-device';
import type { GuestRingRx } from './rx-guest-ring';

const OVERSIZE_REASON = Reason.oversize;

export class RxRingFill {
  /** The receive engine (its counters say what it received and missed). */
  readonly engine: RxDevice;
  readonly irq: ModeratedIrq;

  /** `tag`: guest ring slot -> index of the frame in the batch. */
  constructor(
    guest: GuestRingRx,
    port: DmaPort,
    private readonly tag: Int32Array,
    moderationCount: number,
    moderationUsecs: number,
  ) {
    this.engine = new RxDevice(guest.ring, port, BUF_SIZE);
    this.irq = new ModeratedIrq(new InterruptModerator(moderationCount, moderationUsecs), guest.regs, ICR_RXT0);
  }

  /**
   * Takes frame `i` of the batch, `len` bytes of `src` at `off`, into the guest ring: tags its
   * slot, or drops it. Returns the interrupts raised. Per packet: no allocation.
   */
  frame(batch: Batch, i: number, src: Buffer, off: number, len: number, now: number): number {
    const s = this.engine.rx(src, off, len);
    if (s >= 0) this.tag[s] = i;
    else if (s === RX_MISSED) {
      // nothing was written back: no receive event
      batch.drop(i, RX_MISSED_REASON);
      return 0;
    } else batch.drop(i, s === RX_FAULT ? IOMMU_FAULT_REASON : OVERSIZE_REASON);
    // every descriptor write-back is a receive event for the interrupt logic
    return this.irq.writeBack(batch.createdHere ? batch.genNs(i) : 0, now);
  }

  /** The burst is over and the wire goes idle. Returns 1 if a pending interrupt was raised unmasked. */
  idle(): number {
    return this.irq.idle();
  }
}
