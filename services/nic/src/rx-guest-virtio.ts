// RX guest side on a virtio-net receive queue (virtio): the split virtqueue in guest RAM and the
// virtio-net driver as Linux runs it - the interrupt handler turns further interrupts off
// (interrupted(), called as the notification arrives), NAPI polls the used ring and refills the
// available ring (kicking only when the device asked for it) until a poll finds it empty, then
// turns interrupts back on and looks once more (virtqueue_napi_complete).

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

  /** The interrupt handler (skb_recv_done): no more interrupts until the poll is over. */
  interrupted(): void {
    this.driver.disableCb();
  }

  harvest(_interrupts: number, q: HarvestQueue, b: BurstCounts): void {
    const d = this.driver;
    for (;;) {
      d.harvest(q);
      b.kicks += d.refill();
      if (d.enableCb()) break;
      d.disableCb(); // used meanwhile: poll again with interrupts off
    }
  }
}
