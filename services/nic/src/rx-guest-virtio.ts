// RX guest side on a virtio-net receive queue (virtio): the split virtqueue in guest RAM and the
// virtio-net driver - its poll takes the used buffers with interrupts off, refills the available
// ring (kicking only when the device asked for it) and turns interrupts back on.

import type { BurstCounts } from './burst';
import type { GuestQueueRam } from './guest-queue-ram';
import type { HarvestQueue } from './harvest-queue';
import type { RxGuestSide } from './sides';
import { VirtioNetRxDriver } from './virtio-driver';
import { SplitVirtqueue } from './virtqueue';

export class GuestVirtioRx implements RxGuestSide {
  readonly vq: SplitVirtqueue;
  readonly driver: VirtioNetRxDriver;

  constructor(g: GuestQueueRam, size: number, eventIdx: boolean) {
    this.vq = new SplitVirtqueue(g.ram.bytes, g.queueGpa, size);
    this.driver = new VirtioNetRxDriver(this.vq, g.pool, g.guestPort, eventIdx);
    this.driver.refill(); // driver start-up fills the queue and kicks once
    this.driver.enableCb();
  }

  /** Used buffers not yet taken, as the driver sees them (used.idx in guest RAM). */
  get occupancy(): number {
    return (this.vq.usedIdx - this.driver.lastUsedIndex) & 0xffff;
  }

  harvest(_interrupts: number, q: HarvestQueue, b: BurstCounts): void {
    const d = this.driver;
    d.disableCb();
    d.harvest(q);
    b.kicks += d.refill();
    d.enableCb();
  }
}
