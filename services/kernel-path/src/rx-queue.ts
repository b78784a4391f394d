// The guest's RX queue: an 82599-style descriptor ring and a mempool of 2 KiB buffers in guest
// memory (the shared nic-model). Two sides:
//   - dma(): the lab's transport. The batch arriving on the bus holds what the NIC received;
//     writing it into the posted ring buffers and setting DD|EOP stands for the NIC's DMA and
//     write-back. It is not a modelled cost of the receive path (billed as `bus`).
//   - harvest(): the driver. Reads DD bits from next-to-clean on, takes each completed buffer,
//     posts a fresh one from the mempool in its slot and rings the tail doorbell once per call.

import { BUF_SIZE, GuestMemory, Mempool, RX_DESC_SIZE, RxDescRing, type Batch } from '@vnflab/core';

/** What the driver took from the ring in one round, in ring order (no allocation per packet). */
export class Harvest {
  n = 0;
  /** Batch slot of each packet (where the transport took it from). */
  readonly idx: Int32Array;
  /** Guest physical address of its buffer, and the frame length the device wrote back. */
  readonly addr: Float64Array;
  readonly len: Int32Array;
  /** Mempool buffer index, released once the packet has left the kernel. */
  readonly mbuf: Int32Array;

  constructor(capacity: number) {
    this.idx = new Int32Array(capacity);
    this.addr = new Float64Array(capacity);
    this.len = new Int32Array(capacity);
    this.mbuf = new Int32Array(capacity);
  }
}

export class RxQueue {
  readonly mem: GuestMemory;
  readonly ring: RxDescRing;
  readonly pool: Mempool;
  /** The batch slot the transport wrote into each descriptor. */
  private readonly slotIdx: Int32Array;
  refillFailures = 0;
  doorbells = 0;

  constructor(readonly ringSize: number) {
    // a posted buffer per descriptor plus as many in flight up the stack, so refill never starves
    const buffers = 2 * ringSize;
    const ringBytes = ringSize * RX_DESC_SIZE;
    this.mem = new GuestMemory(
      GuestMemory.sizeFor([
        { len: ringBytes, align: 128 },
        { len: buffers * BUF_SIZE, align: BUF_SIZE },
      ]),
    );
    const base = this.mem.carve(ringBytes, 128);
    this.pool = new Mempool(this.mem, buffers);
    this.ring = new RxDescRing(this.mem.bytes, base, ringSize);
    this.slotIdx = new Int32Array(ringSize);
    while (this.ring.postable > 0) this.ring.post(this.pool.addr(this.pool.get()));
    this.ring.writeTail();
  }

  /** Ring memory: where a packet's bytes are until something copies them. */
  get bytes(): Buffer {
    return this.mem.bytes;
  }

  /**
   * The lab's transport: writes batch packets from slot `from` up to slot `end` (default: the
   * batch's end) into the ring until it is full. Returns the first slot not written.
   */
  dma(batch: Batch, from: number, end = batch.count): number {
    const ring = this.ring;
    const src = batch.buf;
    const dst = this.mem.bytes;
    let i = from;
    for (const n = Math.min(end, batch.count); i < n; i++) {
      if (!batch.alive(i)) continue;
      const d = ring.deviceFetch();
      if (d < 0) break;
      const off = batch.offset(i);
      const len = batch.length(i);
      src.copy(dst, ring.addr(d), off, off + len);
      ring.deviceWriteBack(d, len);
      this.slotIdx[d] = i;
    }
    return i;
  }

  /** Driver: takes up to `max` completed descriptors into `h`, reposting each slot. */
  harvest(max: number, h: Harvest): number {
    const ring = this.ring;
    const pool = this.pool;
    let got = 0;
    for (; got < max; got++) {
      const d = ring.harvest();
      if (d < 0) break;
      const addr = ring.addr(d);
      const k = h.n++;
      h.idx[k] = this.slotIdx[d];
      h.addr[k] = addr;
      h.len[k] = ring.length(d);
      h.mbuf[k] = pool.indexOf(addr);
      const fresh = pool.get();
      if (fresh < 0) this.refillFailures++;
      else ring.post(pool.addr(fresh));
    }
    if (got > 0) {
      ring.writeTail();
      this.doorbells++;
    }
    return got;
  }

  /** Descriptors written back and not yet harvested. */
  get completed(): number {
    return this.ring.completed;
  }

  /** Gives the ring buffers of a finished round back to the mempool. */
  release(h: Harvest): void {
    for (let k = 0; k < h.n; k++) this.pool.put(h.mbuf[k]);
  }

  describe(): Record<string, number> {
    return {
      ring_size: this.ringSize,
      ring_completed: this.ring.completed,
      mempool_in_use: this.pool.inUse,
      mempool_available: this.pool.available,
      doorbells: this.doorbells,
      refill_failures: this.refillFailures,
    };
  }
}
