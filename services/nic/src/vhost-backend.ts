// The host backend of a virtio-net receive queue (vhost-net's handle_rx): for each packet the
// host received it takes the next buffer the guest made available, copies the packet into it
// (the one copy of paravirtual I/O), returns it on the used ring and decides whether the guest
// must be interrupted. While it works it asks not to be kicked; it re-enables kicks only when it
// runs out of buffers, as vhost_enable_notify does.

import { VhostQueue } from './vhost-queue';
import { VIRTQ_DESC_F_WRITE } from './virtqueue';

export const VQ_NO_BUFFER = -1;
export const VQ_FAULT = -2;
export const VQ_TOO_SMALL = -3;

export class VhostBackend extends VhostQueue {
  /** avail.idx as last read, so a pass reads it once, not per packet. */
  private availCache = 0;
  copies = 0;
  faults = 0;
  noBuffer = 0;

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

  get lastAvailIndex(): number {
    return this.lastAvail;
  }
}
