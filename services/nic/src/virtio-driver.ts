// The guest's virtio-net receive queue driver (Linux virtio_ring.c, split ring): it posts
// device-writable buffers through the available ring and takes filled ones from the used ring.
// When to kick the device and when to be interrupted (EVENT_IDX or the NO_INTERRUPT / NO_NOTIFY
// flags) it shares with the transmit driver: see virtqueue-driver.ts.

import type { HarvestQueue } from './harvest-queue';
import { VIRTQ_DESC_F_WRITE } from './virtqueue';
import { VirtqueueDriver } from './virtqueue-driver';

export class VirtioNetRxDriver extends VirtqueueDriver {
  /** Shadow of avail.idx; free-running, wraps at 65536. */
  private availIdx = 0;
  /** Buffers the device returned empty (a refused copy): recycled, nothing delivered. */
  empty = 0;
  poolEmpty = 0;

  /** Shadow index, for tests and describe() (lastUsedIndex is the other). */
  get availIndex(): number {
    return this.availIdx;
  }

  /**
   * Adds a buffer for every free descriptor, publishes avail.idx once and returns 1 if the device
   * must be kicked (virtqueue_kick_prepare), else 0.
   */
  refill(): number {
    const vq = this.vq;
    const pool = this.pool;
    const old = this.availIdx;
    let idx = old;
    while (this.ids.free > 0) {
      const b = pool.get();
      if (b < 0) {
        this.poolEmpty++;
        break;
      }
      const id = this.ids.take(b);
      vq.setDesc(id, this.port.busAddr(pool.addr(b)), pool.bufSize, VIRTQ_DESC_F_WRITE, 0);
      vq.setAvailRing(idx, id);
      idx = (idx + 1) & 0xffff;
    }
    if (idx === old) return 0;
    this.availIdx = idx;
    return this.publishAvail(old, idx);
  }

  /** Takes every used buffer into `q` (buffer, len, descriptor id) and frees its descriptor. */
  harvest(q: HarvestQueue): number {
    const vq = this.vq;
    const end = vq.usedIdx;
    let n = 0;
    while (this.lastUsed !== end) {
      const id = vq.usedElemId(this.lastUsed);
      const len = vq.usedElemLen(this.lastUsed);
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
      const b = this.ids.give(id, 'virtio');
      if (len === 0) {
        this.empty++;
        this.pool.put(b);
        continue;
      }
      q.push(b, len, id);
      n++;
    }
    return n;
  }
}
