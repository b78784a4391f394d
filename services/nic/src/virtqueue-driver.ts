// What the guest's virtio-net receive and transmit queue drivers share (Linux virtio_ring.c,
// split ring): the descriptor-id table, the used-ring cursor, and notification suppression from
// the driver's side - whether publishing new available entries must kick the device
// (virtqueue_kick_prepare) and whether the driver wants an interrupt for used buffers
// (virtqueue_disable_cb / enable_cb). With EVENT_IDX both go through the event indices
// (avail_event, used_event); without it through the NO_NOTIFY / NO_INTERRUPT flags.

import type { Mempool } from '@vnflab/core';
import type { DmaPort } from './dma';
import { DescIdTable } from './desc-ids';
import { SplitVirtqueue, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_USED_F_NO_NOTIFY, vringNeedEvent } from './virtqueue';

export class VirtqueueDriver {
  /** Descriptor id -> mempool buffer index (the "data" token of virtqueue_add_inbuf/outbuf). */
  protected readonly ids: DescIdTable;
  /** Next used index to read; free-running, wraps at 65536. */
  protected lastUsed = 0;
  kicks = 0;
  kicksSuppressed = 0;

  constructor(
    readonly vq: SplitVirtqueue,
    readonly pool: Mempool,
    readonly port: DmaPort,
    readonly eventIdx: boolean,
  ) {
    this.ids = new DescIdTable(vq.size);
  }

  get lastUsedIndex(): number {
    return this.lastUsed;
  }

  /**
   * Publishes avail.idx = `idx` (the caller wrote the ring entries first: virtio_wmb) and returns
   * 1 if the device must be kicked for the entries since `old`, else 0.
   */
  protected publishAvail(old: number, idx: number): number {
    const vq = this.vq;
    vq.availIdx = idx;
    const kick = this.eventIdx
      ? vringNeedEvent(vq.availEvent, idx, old)
      : (vq.usedFlags & VIRTQ_USED_F_NO_NOTIFY) === 0;
    if (kick) this.kicks++;
    else this.kicksSuppressed++;
    return kick ? 1 : 0;
  }

  /**
   * virtqueue_disable_cb: no interrupts while polling. Without EVENT_IDX, NO_INTERRUPT; with it,
   * used_event just behind the driver's cursor - the furthest ahead a 16-bit index can point, so
   * no used buffer short of a full wrap asks for an interrupt (Linux writes a fixed 0 there).
   */
  disableCb(): void {
    if (this.eventIdx) this.vq.usedEvent = (this.lastUsed - 1) & 0xffff;
    else this.vq.availFlags = this.vq.availFlags | VIRTQ_AVAIL_F_NO_INTERRUPT;
  }

  /**
   * virtqueue_enable_cb: interrupt me for the next used buffer. Returns false when buffers were
   * used before the driver could look again (the race the re-check closes): the caller polls on,
   * with interrupts off again.
   */
  enableCb(): boolean {
    if (this.eventIdx) this.vq.usedEvent = this.lastUsed;
    else this.vq.availFlags = this.vq.availFlags & ~VIRTQ_AVAIL_F_NO_INTERRUPT;
    return this.vq.usedIdx === this.lastUsed;
  }
}
