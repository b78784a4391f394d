// The guest's virtio-net receive queue driver (Linux virtio_ring.c, split ring): it posts
// device-writable buffers through the available ring, takes filled ones from the used ring, and
// decides when to kick the device and when it wants to be interrupted. With EVENT_IDX it
// publishes used_event (interrupt me after this index) and kicks only when vring_need_event on
// the device's avail_event says so; without it, it uses the NO_INTERRUPT / NO_NOTIFY flags.

import type { Mempool } from '@vnflab/core';
import type { DmaPort } from './dma';
import type { HarvestQueue } from './harvest-queue';
import { SplitVirtqueue, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_WRITE, VIRTQ_USED_F_NO_NOTIFY, vringNeedEvent } from './virtqueue';
import { DescIdTable } from './desc-ids';

export class VirtioNetRxDriver {
  /** Descriptor id -> mempool buffer index (the "data" token of virtqueue_add_inbuf). */
  private readonly ids: DescIdTable;
  /** Shadow of avail.idx and the next used index to read; free-running, wrap at 65536. */
  private availIdx = 0;
  private lastUsed = 0;
  kicks = 0;
  kicksSuppressed = 0;
  /** Buffers the device returned empty (a refused copy): recycled, nothing delivered. */
  empty = 0;
  poolEmpty = 0;

  constructor(readonly vq: SplitVirtqueue, readonly pool: Mempool, readonly port: DmaPort, readonly eventIdx: boolean) {
    this.ids = new DescIdTable(vq.size);
  }

  /** Shadow indices, for tests and describe(). */
  get availIndex(): number {
    return this.availIdx;
  }
  get lastUsedIndex(): number {
    return this.lastUsed;
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
    // the ring entries are written before the index that publishes them (virtio_wmb)
    vq.availIdx = idx;
    this.availIdx = idx;
    const kick = this.eventIdx ? vringNeedEvent(vq.availEvent, idx, old) : (vq.usedFlags & VIRTQ_USED_F_NO_NOTIFY) === 0;
    if (kick) this.kicks++;
    else this.kicksSuppressed++;
    return kick ? 1 : 0;
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

  /** virtqueue_disable_cb: no interrupts while polling. With EVENT_IDX the index is simply not advanced. */
  disableCb(): void {
    if (!this.eventIdx) this.vq.availFlags = this.vq.availFlags | VIRTQ_AVAIL_F_NO_INTERRUPT;
  }

  /** virtqueue_enable_cb: interrupt me for the next used buffer. */
  enableCb(): void {
    if (this.eventIdx) this.vq.usedEvent = this.lastUsed;
    else this.vq.availFlags = this.vq.availFlags & ~VIRTQ_AVAIL_F_NO_INTERRUPT;
  }
}
