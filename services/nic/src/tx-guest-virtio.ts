// TX guest side on a virtio-net transmit queue (virtio): the split virtqueue in guest RAM and the
// virtio-net driver - each frame one device-readable descriptor, avail.idx published once per
// batch with a kick only when the device asked for it, and on a used-buffer interrupt the used
// buffers cleaned back into the pool with interrupts off.

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

  clean(_interrupts: number, _b: BurstCounts): void {
    const d = this.driver;
    d.disableCb();
    d.clean();
    d.enableCb();
  }
}
