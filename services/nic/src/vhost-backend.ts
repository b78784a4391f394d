// The host backend of a virtio-net receive queue (vhost-net's handle_rx): for each packet the
// host received it takes the next buffer the guest made available, copies the packet into it
// (the one copy of paravirtual I/O), returns it on the used ring and decides whether the guest
// must be interrupted. While it works it asks not to be kicked; it re-enables kicks only when it
// runs out of buffers, as vhost_enable_notify does.

import type { DmaPort } from './dma';
import { SplitVirtqueue, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_WRITE, VIRTQ_USED_F_NO_NOTIFY, vringNeedEvent } from './virtqueue';

export const VQ_NO_BUFFER = -1;
export const VQ_FAULT = -2;
export const VQ_TOO_SMALL = -3;

export class VhostBackend {
  private lastAvail = 0;
  private availCache = 0;
  private usedIdx = 0;
  /** Interrupt injections the guest asked for, and the ones suppressed. */
  notifications = 0;
  suppressed = 0;
  copies = 0;
  faults = 0;
  noBuffer = 0;

  constructor(readonly vq: SplitVirtqueue, readonly port: DmaPort, readonly eventIdx: boolean) {}

  /** Start of a pass over newly received packets: no kicks wanted while we run (vhost_disable_notify). */
  begin(): void {
    if (!this.eventIdx) this.vq.usedFlags = VIRTQ_USED_F_NO_NOTIFY;
  }

  /**
   * Copies `len` bytes of `src` at `off` into the next available guest buffer and returns its
   * descriptor id, or VQ_* < 0 (the packet is lost).
   */
  rx(src: Buffer, off: number, len: number): number {
    const vq = this.vq;
    if (this.lastAvail === this.availCache) {
      this.availCache = vq.availIdx;
      if (this.lastAvail === this.availCache) {
        // out of buffers: ask for a kick, then look once more (the guest may have raced us)
        this.enableNotify();
        this.availCache = vq.availIdx;
        if (this.lastAvail === this.availCache) {
          this.noBuffer++;
          return VQ_NO_BUFFER;
        }
        this.begin();
      }
    }
    const id = vq.availRing(this.lastAvail);
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    let used = len;
    let r = id;
    if ((vq.descFlags(id) & VIRTQ_DESC_F_WRITE) === 0 || vq.descLen(id) < len) {
      used = 0;
      r = VQ_TOO_SMALL;
    } else if (!this.port.write(src, off, len, vq.descAddr(id))) {
      used = 0;
      r = VQ_FAULT;
      this.faults++;
    } else {
      this.copies++;
    }
    // a buffer is always returned, empty when nothing was written, so the guest can recycle it
    this.pushUsed(id, used);
    return r;
  }

  private pushUsed(id: number, len: number): void {
    const vq = this.vq;
    const old = this.usedIdx;
    vq.setUsedElem(old, id, len);
    this.usedIdx = (old + 1) & 0xffff;
    vq.usedIdx = this.usedIdx; // after the element, as vhost_add_used orders it
    const notify = this.eventIdx ? vringNeedEvent(vq.usedEvent, this.usedIdx, old) : (vq.availFlags & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    if (notify) this.notifications++;
    else this.suppressed++;
  }

  private enableNotify(): void {
    if (this.eventIdx) this.vq.availEvent = this.availCache;
    else this.vq.usedFlags = 0;
  }

  get lastAvailIndex(): number {
    return this.lastAvail;
  }
  get usedIndex(): number {
    return this.usedIdx;
  }
}
