// A virtio-net transmit queue from both sides, on the split virtqueue of virtqueue.ts.
//
// Guest (virtio_net start_xmit, split ring): each frame is one device-readable descriptor; the
// driver publishes avail.idx once per batch and kicks only when the device asked for it - with
// EVENT_IDX when vring_need_event(avail_event, new, old) holds, else unless used.flags has
// NO_NOTIFY. Completed buffers come back on the used ring (free_old_xmit) and return to the pool.
//
// Host (vhost-net handle_tx): it takes every available descriptor, reads the frame out of guest
// memory (the one copy of paravirtual I/O), returns the descriptor used with len 0 (nothing was
// written) and interrupts the guest only when used_event says so. When the ring is empty it
// re-enables kicks (vhost_enable_notify publishes avail_event = last_avail_idx), so the guest's
// next batch kicks once.

import { VhostQueue } from './vhost-queue';
import { VIRTQ_DESC_F_WRITE } from './virtqueue';
import { VirtqueueDriver } from './virtqueue-driver';

export class VirtioNetTxDriver extends VirtqueueDriver {
  /** Shadow avail.idx (written, maybe not yet published) and the published one. */
  private availIdx = 0;
  private published = 0;
  cleaned = 0;

  /** Frames the queue can still take (free descriptors). */
  get room(): number {
    return this.ids.free;
  }

  /** Adds pool buffer `b` holding `len` bytes as a device-readable descriptor; returns its id, or -1 when full. */
  add(b: number, len: number): number {
    const id = this.ids.take(b);
    if (id < 0) return -1;
    const vq = this.vq;
    vq.setDesc(id, this.port.busAddr(this.pool.addr(b)), len, 0, 0);
    vq.setAvailRing(this.availIdx, id);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    return id;
  }

  /** Publishes avail.idx (after the ring entries, virtio_wmb) and returns 1 if the device must be kicked. */
  publish(): number {
    const old = this.published;
    const idx = this.availIdx;
    if (idx === old) return 0;
    this.published = idx;
    return this.publishAvail(old, idx);
  }

  /** free_old_xmit: every used descriptor's buffer back to the pool. Returns how many. */
  clean(): number {
    const vq = this.vq;
    const end = vq.usedIdx;
    let n = 0;
    while (this.lastUsed !== end) {
      const id = vq.usedElemId(this.lastUsed);
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
      const b = this.ids.give(id, 'virtio tx');
      this.pool.put(b);
      n++;
    }
    this.cleaned += n;
    return n;
  }
}

/** VhostTxBackend.send() results below 0. */
export const VQ_TX_FAULT = -2;
export const VQ_TX_BAD_DESC = -3;

export class VhostTxBackend extends VhostQueue {
  copies = 0;
  faults = 0;

  /** The next available descriptor id, or -1 when the guest has posted nothing more. */
  next(): number {
    const vq = this.vq;
    if (this.lastAvail === vq.availIdx) return -1;
    const id = vq.availRing(this.lastAvail);
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    return id;
  }

  /** Copies descriptor `id`'s frame into `dst` at `off` and returns its length, or VQ_TX_* < 0; the descriptor is used either way. */
  send(id: number, dst: Buffer, off: number): number {
    const vq = this.vq;
    const len = vq.descLen(id);
    let r: number;
    if ((vq.descFlags(id) & VIRTQ_DESC_F_WRITE) !== 0 || len > dst.length - off) r = VQ_TX_BAD_DESC;
    else if (!this.port.read(dst, off, len, vq.descAddr(id))) {
      r = VQ_TX_FAULT;
      this.faults++;
    } else {
      r = len;
      this.copies++;
    }
    this.pushUsed(id, 0); // a transmit buffer is only read: 0 bytes written
    return r;
  }

  /** The ring is empty (next() returned -1, or before the first kick): ask to be kicked for the next buffer. */
  end(): void {
    this.enableNotify();
  }
}
