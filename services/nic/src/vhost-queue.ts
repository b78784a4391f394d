// What vhost-net's receive and transmit handlers share on a split virtqueue (drivers/vhost): the
// device's cursors into the available and used rings, returning a descriptor on the used ring
// and deciding whether the guest wants an interrupt for it (vhost_add_used + vhost_notify), and
// kick suppression while a handler runs (vhost_disable_notify / vhost_enable_notify). With
// EVENT_IDX both go through the event indices (used_event, avail_event); without it through the
// NO_INTERRUPT / NO_NOTIFY flags.

import type { DmaPort } from './dma';
import { SplitVirtqueue, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_USED_F_NO_NOTIFY, vringNeedEvent } from './virtqueue';

export class VhostQueue {
  /** Next available index to take, and the used index to publish; free-running, wrap at 65536. */
  protected lastAvail = 0;
  protected usedIdx = 0;
  /** Interrupt injections the guest asked for, and the ones suppressed. */
  notifications = 0;
  suppressed = 0;

  /**
   * `isr`: the guest's interrupt handler, run when a notification reaches it. Linux's
   * (vring_interrupt -> skb_recv_done / skb_xmit_done) turns further interrupts off and schedules
   * NAPI, so the used buffers that follow in the same burst find them off and are suppressed.
   */
  constructor(
    readonly vq: SplitVirtqueue,
    readonly port: DmaPort,
    readonly eventIdx: boolean,
    private readonly isr: () => void = () => {},
  ) {}

  /** Start of a pass (handle_rx / handle_tx): no kicks wanted while it runs (vhost_disable_notify). */
  begin(): void {
    if (!this.eventIdx) this.vq.usedFlags = VIRTQ_USED_F_NO_NOTIFY;
  }

  /**
   * The available ring is drained: ask to be kicked for the next buffer (vhost_enable_notify).
   * Called only when last_avail_idx has caught up with avail.idx, so it is the index to wait past.
   */
  protected enableNotify(): void {
    if (this.eventIdx) this.vq.availEvent = this.lastAvail;
    else this.vq.usedFlags = 0;
  }

  /** Returns descriptor `id` on the used ring with `len` bytes written; counts whether the guest is interrupted. */
  protected pushUsed(id: number, len: number): void {
    const vq = this.vq;
    const old = this.usedIdx;
    vq.setUsedElem(old, id, len);
    this.usedIdx = (old + 1) & 0xffff;
    vq.usedIdx = this.usedIdx; // after the element, as vhost_add_used orders it
    const notify = this.eventIdx
      ? vringNeedEvent(vq.usedEvent, this.usedIdx, old)
      : (vq.availFlags & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    if (notify) {
      this.notifications++;
      this.isr();
    } else this.suppressed++;
  }

  get usedIndex(): number {
    return this.usedIdx;
  }
}
