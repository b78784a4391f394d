// Frames the client's TCP endpoints transmit while no batch is at hand: ACKs and requests caused
// by segments that came back (Source.receive has no output batch), and whatever overflowed the
// batch being filled. A byte ring with a ring of (offset, length) entries, preallocated; fill()
// moves the frames into its batch in order (one copy each). Full: the frame is refused, which
// the TCP endpoint counts as `tx_no_room` and recovers by retransmission.

import type { Batch } from '@vnflab/core';
import type { FrameSlot } from '@vnflab/tcp';

export class TxQueue {
  /** A Buffer, as the batches are: the endpoint then writes frames into one kind of array only. */
  private readonly bytes: Buffer;
  private readonly offs: Int32Array;
  private readonly lens: Int32Array;
  private head = 0; // oldest entry
  private tail = 0; // next entry
  /** Frames queued now. */
  count = 0;
  /** Byte ring: where the next frame goes and where the oldest begins. */
  private writeAt = 0;
  private pendingOff = -1;
  /** Frames refused because the queue was full. */
  refused = 0;

  constructor(
    readonly capacityBytes: number,
    readonly maxFrames: number,
  ) {
    this.bytes = Buffer.alloc(capacityBytes);
    this.offs = new Int32Array(maxFrames);
    this.lens = new Int32Array(maxFrames);
  }

  /** Room for one frame of `len` bytes at slot.buf/slot.off, or false (queue full). */
  reserve(len: number, slot: FrameSlot): boolean {
    if (this.count >= this.maxFrames || len > this.capacityBytes) return this.refuse();
    const oldest = this.count === 0 ? -1 : this.offs[this.head];
    let at = this.writeAt;
    if (oldest < 0) at = 0;
    else if (at > oldest) {
      // free space runs from `at` to the end, then from 0 to the oldest frame
      if (at + len > this.capacityBytes) {
        if (len > oldest) return this.refuse();
        at = 0;
      }
    } else if (at + len > oldest) return this.refuse();
    slot.buf = this.bytes;
    slot.off = at;
    this.pendingOff = at;
    return true;
  }

  /** The reserved frame is complete: `len` bytes. */
  commit(len: number): void {
    const e = this.tail;
    this.offs[e] = this.pendingOff;
    this.lens[e] = len;
    this.tail = e + 1 === this.maxFrames ? 0 : e + 1;
    this.count++;
    this.writeAt = this.pendingOff + len;
    this.pendingOff = -1;
  }

  private refuse(): boolean {
    this.refused++;
    return false;
  }

  /** Moves frames, oldest first, into `batch` while it has room; returns how many moved. */
  drainInto(batch: Batch): number {
    let moved = 0;
    const buf = batch.buf;
    while (this.count > 0) {
      const h = this.head;
      const len = this.lens[h];
      const i = batch.append(len);
      if (i < 0) break;
      const o = this.offs[h];
      this.bytes.copy(buf, batch.offset(i), o, o + len); // no view made per frame
      this.head = h + 1 === this.maxFrames ? 0 : h + 1;
      this.count--;
      moved++;
    }
    if (this.count === 0) this.writeAt = 0;
    return moved;
  }
}
