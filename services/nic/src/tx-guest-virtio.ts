// TX guest side on a virtio-net transmit queue (virtio): the split virtqueue in guest RAM and the
// virtio-net driver - each frame one device-readable descriptor, avail.idx published once per
// batch with a kick only when the device asked for it; its interrupt handler turns further
// interrupts off (interrupted(), called as the notification arrives) and the used buffers are
// cleaned back into the pool until the ring is empty, then interrupts go back on, looked at once
// more.

import type { Batch } from '@vnflab/core';
import type { BurstCounts } from './burst';
import type { GuestQueueRam } from './guest-queue-ram';
import type { TxGuestSide } from './sides';
import { VirtioNetTxDriver } from './virtio-tx';
import { SplitVirtqueue } from './virtqueue';

export class GuestVirtioTx implements TxGuestSide {
  readonly vq: SplitVirtqueue;
  readonly driver: VirtioNetTxDriver;

  /** `tag`: descriptor id -> index of the frame in the batch. */
  constructor(
    g: GuestQueueRam,
    size: number,
    eventIdx: boolean,
    private readonly tag: Int32Array,
  ) {
    this.vq = new SplitVirtqueue(g.ram.bytes, g.queueGpa, size);
    this.driver = new VirtioNetTxDriver(this.vq, g.pool, g.guestPort, eventIdx);
    this.driver.enableCb();
  }

  get room(): number {
    return this.driver.room;
  }

  /** Used buffers not yet cleaned, as the driver sees them (used.idx in guest RAM). */
  get occupancy(): number {
    return (this.vq.usedIdx - this.driver.lastUsedIndex) & 0xffff;
  }

  post(batch: Batch, stagedBuf: Int32Array, stagedIdx: Int32Array, n: number, b: BurstCounts): void {
    const drv = this.driver;
    const tag = this.tag;
    for (let k = 0; k < n; k++) {
      const i = stagedIdx[k];
      tag[drv.add(stagedBuf[k], batch.length(i))] = i;
    }
    b.kicks += drv.publish();
  }

  /** The interrupt handler (skb_xmit_done): no more interrupts until the cleaning is over. */
  interrupted(): void {
    this.driver.disableCb();
  }

  clean(_interrupts: number, _b: BurstCounts): void {
    const d = this.driver;
    for (;;) {
      d.clean();
      if (d.enableCb()) break;
      d.disableCb(); // used meanwhile: clean again with interrupts off
    }
  }
}
