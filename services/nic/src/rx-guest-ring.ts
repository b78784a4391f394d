// RX guest side on an 82599/e1000 descriptor ring (native, passthrough, emulated): the ring in
// guest RAM, the NIC's register file as the driver reaches it (trapping when the NIC is
// emulated), and the e1000/ixgbe-style driver - one interrupt service routine per interrupt,
// then one NAPI poll that harvests, refills and rings the RDT doorbell.

import { RxDescRing } from '@vnflab/core';
import type { BurstCounts } from './burst';
import type { GuestQueueRam } from './guest-queue-ram';
import type { HarvestQueue } from './harvest-queue';
import { NicRegisters } from './registers';
import { RingDriver } from './ring-driver';
import type { RxGuestSide } from './sides';

export class GuestRingRx implements RxGuestSide {
  readonly ring: RxDescRing;
  readonly regs: NicRegisters;
  readonly driver: RingDriver;

  constructor(g: GuestQueueRam, size: number, registerTraps: boolean) {
    this.ring = new RxDescRing(g.ram.bytes, g.queueGpa, size);
    this.regs = new NicRegisters(this.ring, registerTraps);
    this.driver = new RingDriver(this.ring, g.pool, g.guestPort, this.regs);
    this.driver.open();
  }

  get occupancy(): number {
    return this.ring.completed;
  }

  harvest(interrupts: number, q: HarvestQueue, b: BurstCounts): void {
    const regs = this.regs;
    const traps0 = regs.traps;
    const bells0 = regs.doorbells;
    for (let k = 0; k < interrupts; k++) this.driver.isr();
    this.driver.poll(q);
    b.traps += regs.traps - traps0;
    b.doorbells += regs.doorbells - bells0;
  }
}
