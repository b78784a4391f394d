// The batch format: one binary buffer per batch, the unit every stage processes (docs/architecture.md, "Batches and the wire").
// Stages read and write it in place; nothing is copied unless a mechanism copies on purpose.
// The in-memory bus passes it as is; on Redis it travels in its compact wire form (wire.ts).
//
//   header (56 B)            per-packet metadata (32 B each)         packet bytes
//   +--------------------+   +-------------------------------+       +--------------+
//   | magic, version,    |   | offset, length, reason,       |  ...  | headroom|frame|
//   | count, chain,      |   | flow hash, flow id, seq,      |       +--------------+
//   | stage, interrupts, |   | generator timestamp           |
//   | batch id, times,   |   +-------------------------------+
//   | bytes, the clocks  |
//   | of the times       |
//   +--------------------+
//
// Each frame is stored after HEADROOM free bytes so an element can prepend a header
// (IP-in-IP) by moving the packet's offset back, as mbufs do.

import { CLOCK_DOMAIN } from '../clock';
import { reasonCode } from '../reasons';

/**
 * The reserved reason of a packet an element terminated (a TCP endpoint consuming a segment, an
 * application consuming a record): the runtime removes it like a drop but counts it as
 * `delivered` at that stage, never as a loss.
 */
export const DELIVERED = reasonCode('delivered');

export const BATCH_MAGIC = 0x564e4642; // "VNFB"
export const BATCH_VERSION = 1;
export const HEADER_LEN = 56;
export const META_LEN = 32;
export const HEADROOM = 32;

/** Bytes of one batch buffer (Batch.allocate); the memory budget counts batches with it. */
export function batchBytes(capacity: number, maxFrame = 1518): number {
  return HEADER_LEN + capacity * META_LEN + capacity * (HEADROOM + maxFrame);
}

// header fields
const H_MAGIC = 0; // u32
const H_VERSION = 4; // u8
const H_COUNT = 6; // u16
const H_CHAIN = 8; // u32
const H_STAGE = 12; // u16: index of the stage that last wrote it
const H_INTERRUPTS = 14; // u16: interrupts the NIC raised for these packets (0: no NIC set it)
const H_BATCH_ID = 16; // f64 (integer < 2^53)
const H_ENQUEUE_NS = 24; // f64: CLOCK_MONOTONIC ns when put on the current hop
const H_CREATED_NS = 32; // f64: CLOCK_MONOTONIC ns when the generator made it
const H_DATA_END = 40; // u32: end of the packet area in use
const H_CAPACITY = 44; // u16: metadata slots
const H_ENQUEUE_CLOCK = 48; // u32: CLOCK_DOMAIN of the host that wrote the enqueue time
const H_CREATED_CLOCK = 52; // u32: CLOCK_DOMAIN of the host that made the batch (and timed its packets)

// metadata fields, relative to the slot
const M_OFFSET = 0; // u32 absolute offset of the frame in the buffer
const M_LENGTH = 4; // u16
const M_REASON = 6; // u16 drop reason code, 0 = alive
const M_FLOW_HASH = 8; // u32
const M_FLOW_ID = 12; // u32
const M_SEQ = 16; // f64
const M_GEN_NS = 24; // f64

export class BatchFormatError extends Error {}

export class Batch {
  readonly buf: Buffer;
  private readonly dv: DataView;
  readonly capacity: number;

  private constructor(buf: Buffer, capacity: number) {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.capacity = capacity;
  }

  /** A new empty batch with room for `capacity` packets of up to `maxFrame` bytes each. */
  static allocate(capacity: number, maxFrame = 1518): Batch {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0xffff)
      throw new RangeError(`batch capacity ${capacity} out of range 1..65535`);
    const size = batchBytes(capacity, maxFrame);
    const b = new Batch(Buffer.alloc(size), capacity);
    b.dv.setUint32(H_MAGIC, BATCH_MAGIC);
    b.buf[H_VERSION] = BATCH_VERSION;
    b.dv.setUint16(H_CAPACITY, capacity);
    b.reset();
    return b;
  }

  get dataStart(): number {
    return HEADER_LEN + this.capacity * META_LEN;
  }

  reset(): void {
    this.dv.setUint16(H_COUNT, 0);
    this.dv.setUint16(H_INTERRUPTS, 0);
    this.dv.setUint32(H_DATA_END, this.dataStart);
  }

  get count(): number {
    return this.dv.getUint16(H_COUNT);
  }
  set count(n: number) {
    this.dv.setUint16(H_COUNT, n);
  }
  get chainId(): number {
    return this.dv.getUint32(H_CHAIN);
  }
  set chainId(v: number) {
    this.dv.setUint32(H_CHAIN, v);
  }
  get stageIndex(): number {
    return this.dv.getUint16(H_STAGE);
  }
  set stageIndex(v: number) {
    this.dv.setUint16(H_STAGE, v);
  }
  /**
   * Interrupts the NIC raised while receiving these packets (after moderation), so the guest's
   * receive path takes exactly those; 0 when no stage set it. Saturates at 65535.
   */
  get interrupts(): number {
    return this.dv.getUint16(H_INTERRUPTS);
  }
  set interrupts(v: number) {
    this.dv.setUint16(H_INTERRUPTS, v > 0xffff ? 0xffff : v > 0 ? v : 0);
  }
  get batchId(): number {
    return this.dv.getFloat64(H_BATCH_ID);
  }
  set batchId(v: number) {
    this.dv.setFloat64(H_BATCH_ID, v);
  }
  /** When the batch was put on its current hop; setting it stamps this host's clock domain too. */
  get enqueueNs(): number {
    return this.dv.getFloat64(H_ENQUEUE_NS);
  }
  set enqueueNs(v: number) {
    this.dv.setFloat64(H_ENQUEUE_NS, v);
    this.dv.setUint32(H_ENQUEUE_CLOCK, CLOCK_DOMAIN);
  }
  /** When the source made the batch; setting it stamps this host's clock domain too. */
  get createdNs(): number {
    return this.dv.getFloat64(H_CREATED_NS);
  }
  set createdNs(v: number) {
    this.dv.setFloat64(H_CREATED_NS, v);
    this.dv.setUint32(H_CREATED_CLOCK, CLOCK_DOMAIN);
  }
  /** The clock domain enqueueNs was read on (0: never set); the wire carries it across hosts. */
  get enqueueClock(): number {
    return this.dv.getUint32(H_ENQUEUE_CLOCK);
  }
  set enqueueClock(v: number) {
    this.dv.setUint32(H_ENQUEUE_CLOCK, v);
  }
  /** The clock domain createdNs and the packets' generator timestamps were read on (0: never set). */
  get createdClock(): number {
    return this.dv.getUint32(H_CREATED_CLOCK);
  }
  set createdClock(v: number) {
    this.dv.setUint32(H_CREATED_CLOCK, v);
  }
  /** enqueueNs was read on this host's clock, so now - enqueueNs is a queueing time. */
  get enqueuedHere(): boolean {
    return this.enqueueClock === CLOCK_DOMAIN;
  }
  /** The batch was made on this host's clock, so its packets' timestamps can be subtracted from now. */
  get createdHere(): boolean {
    return this.createdClock === CLOCK_DOMAIN;
  }
  get dataEnd(): number {
    return this.dv.getUint32(H_DATA_END);
  }
  /** Bytes of the buffer in use: what the bus must carry. */
  get byteLength(): number {
    return this.dataEnd;
  }
  get full(): boolean {
    return this.count >= this.capacity;
  }

  /**
   * Reserves room for a frame of `len` bytes and returns its index; the caller writes the bytes
   * at `offset(i)`. Returns -1 when the batch has no slot or no room left.
   */
  append(len: number): number {
    const i = this.count;
    const o = this.dataEnd + HEADROOM;
    if (i >= this.capacity || o + len > this.buf.length) return -1;
    const m = HEADER_LEN + i * META_LEN;
    this.dv.setUint32(m + M_OFFSET, o);
    this.dv.setUint16(m + M_LENGTH, len);
    this.dv.setUint16(m + M_REASON, 0);
    this.dv.setUint32(m + M_FLOW_HASH, 0);
    this.dv.setUint32(m + M_FLOW_ID, 0);
    this.dv.setFloat64(m + M_SEQ, 0);
    this.dv.setFloat64(m + M_GEN_NS, 0);
    this.dv.setUint32(H_DATA_END, o + len);
    this.dv.setUint16(H_COUNT, i + 1);
    return i;
  }

  offset(i: number): number {
    return this.dv.getUint32(HEADER_LEN + i * META_LEN + M_OFFSET);
  }
  setOffset(i: number, v: number): void {
    this.dv.setUint32(HEADER_LEN + i * META_LEN + M_OFFSET, v);
  }
  length(i: number): number {
    return this.dv.getUint16(HEADER_LEN + i * META_LEN + M_LENGTH);
  }
  setLength(i: number, v: number): void {
    this.dv.setUint16(HEADER_LEN + i * META_LEN + M_LENGTH, v);
  }
  reason(i: number): number {
    return this.dv.getUint16(HEADER_LEN + i * META_LEN + M_REASON);
  }
  /** Marks packet i dropped with a reason code (see reasons.ts); the runtime counts and removes it. */
  drop(i: number, reason: number): void {
    this.dv.setUint16(HEADER_LEN + i * META_LEN + M_REASON, reason);
  }
  /** Marks packet i delivered: it reached its end here (see DELIVERED); the runtime removes it. */
  deliver(i: number): void {
    this.dv.setUint16(HEADER_LEN + i * META_LEN + M_REASON, DELIVERED);
  }
  alive(i: number): boolean {
    return this.dv.getUint16(HEADER_LEN + i * META_LEN + M_REASON) === 0;
  }
  flowHash(i: number): number {
    return this.dv.getUint32(HEADER_LEN + i * META_LEN + M_FLOW_HASH);
  }
  setFlowHash(i: number, v: number): void {
    this.dv.setUint32(HEADER_LEN + i * META_LEN + M_FLOW_HASH, v);
  }
  flowId(i: number): number {
    return this.dv.getUint32(HEADER_LEN + i * META_LEN + M_FLOW_ID);
  }
  setFlowId(i: number, v: number): void {
    this.dv.setUint32(HEADER_LEN + i * META_LEN + M_FLOW_ID, v);
  }
  seq(i: number): number {
    return this.dv.getFloat64(HEADER_LEN + i * META_LEN + M_SEQ);
  }
  setSeq(i: number, v: number): void {
    this.dv.setFloat64(HEADER_LEN + i * META_LEN + M_SEQ, v);
  }
  genNs(i: number): number {
    return this.dv.getFloat64(HEADER_LEN + i * META_LEN + M_GEN_NS);
  }
  setGenNs(i: number, v: number): void {
    this.dv.setFloat64(HEADER_LEN + i * META_LEN + M_GEN_NS, v);
  }

  /** Number of packets marked dropped. */
  dropped(): number {
    let n = 0;
    for (let i = 0, c = this.count; i < c; i++) if (!this.alive(i)) n++;
    return n;
  }

  /**
   * Removes dropped packets' metadata (the bytes stay where they are), calling `onDrop` for each
   * so the caller can count it (a delivered packet comes with reason DELIVERED, which the caller
   * counts as delivered, not as a drop). Returns the number removed.
   */
  compact(onDrop: (reason: number, bytes: number) => void): number {
    const c = this.count;
    let w = 0;
    for (let r = 0; r < c; r++) {
      const reason = this.reason(r);
      if (reason !== 0) {
        onDrop(reason, this.length(r));
        continue;
      }
      if (w !== r)
        this.buf.copyWithin(HEADER_LEN + w * META_LEN, HEADER_LEN + r * META_LEN, HEADER_LEN + (r + 1) * META_LEN);
      w++;
    }
    this.count = w;
    return c - w;
  }

  /** Sum of frame lengths of the packets in the batch. */
  bytes(): number {
    let n = 0;
    for (let i = 0, c = this.count; i < c; i++) n += this.length(i);
    return n;
  }
}
