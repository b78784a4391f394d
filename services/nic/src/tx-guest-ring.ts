// TX guest side on an 82599/e1000 legacy TX descriptor ring (native, passthrough, emulated): the
// ring in guest RAM, the NIC's register file as the driver reaches it (trapping when the NIC is
// emulated), and the ixgbe/e1000-style driver - one descriptor per frame, one TDT doorbell per
// batch, and on a TX-completion interrupt the ISR and a NAPI poll that cleans.

import type { Batch } from '@vnflab/core';
import { TxDescRing } from '@vnflab/core';
import type { BurstCounts } from './burst';
import type { GuestQueueRam } from './guest-queue-ram';
import { NicRegisters } from './registers';
import type { TxGuestSide } from './sides';
import { TxRingDriver } from './tx-driver';

export class GuestRingTx implements TxGuestSide {
  readonly ring: TxDescRing;
  readonly regs: NicRegisters;
  readonly driver: TxRingDriver;

  /** `tag`: ring slot -> index of the frame in the batch. */
  constructor(
    g: GuestQueueRam,
    size: number,
    registerTraps: boolean,
    private readonly tag: Int32Array,
  ) {
    this.ring = new TxDescRing(g.ram.bytes, g.queueGpa, size);
    this.regs = new NicRegisters(null, registerTraps, this.ring);
    this.driver = new TxRingDriver(this.ring, g.pool, g.guestPort, this.regs);
    this.driver.open();
  }

  get room(): number {
    return this.driver.room;
  }

  get occupancy(): number {
    return this.ring.inFlight;
  }

  post(batch: Batch, stagedBuf: Int32Array, stagedIdx: Int32Array, n: number, b: BurstCounts): void {
    const drv = this.driver;
    const tag = this.tag;
    const traps0 = this.regs.traps;
    for (let k = 0; k < n; k++) {
      const i = stagedIdx[k];
      tag[drv.post(stagedBuf[k], batch.length(i))] = i;
    }
    if (n > 0) {
      drv.doorbell();
      b.doorbells++;
    }
    b.traps += this.regs.traps - traps0;
  }

  clean(interrupts: number, b: BurstCounts): void {
    const traps0 = this.regs.traps;
    for (let k = 0; k < interrupts; k++) this.driver.isr();
    this.driver.poll();
    b.traps += this.regs.traps - traps0;
  }
}
