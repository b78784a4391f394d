// The batch as the bus carries it: only what the next stage needs. In memory a batch keeps
// `capacity` metadata slots and 32 B of headroom before every frame (room to encapsulate in
// place); on the wire it keeps neither, so 64 packets of 64 B travel as ~5.7 KB, not ~8 KB.
// Bytes matter on Redis: a commit passes the batch through Lua, which costs about 2 us per KiB.
//
//   header (48 B)                 per packet (28 B)                    frames
//   +-------------------------+   +--------------------------------+   +------+------+--
//   | magic, version, count,  |   | length, reason, flow hash,     |   | 0    | 1    | ...
//   | chain, stage, interrupts|   | flow id, seq, generator ts     |   +------+------+--
//   | batch id, enqueue ts,   |   +--------------------------------+   (back to back)
//   | created ts, the clock   |
//   | domain of each ts       |
//   +-------------------------+
//
// The clock domains let a stage on another host know that a timestamp is not on its clock
// (clock.ts, CLOCK_DOMAIN): it then times nothing from it rather than something wrong.

import { Batch, BatchFormatError, HEADER_LEN, META_LEN } from './batch';
import type { BatchPool } from './pool';

export const WIRE_MAGIC = 0x564e4657; // "VNFW"
export const WIRE_VERSION = 2;
export const WIRE_HEADER_LEN = 48;
export const WIRE_META_LEN = 28;

// header fields
const W_MAGIC = 0; // u32
const W_VERSION = 4; // u8
const W_COUNT = 6; // u16
const W_CHAIN = 8; // u32
const W_STAGE = 12; // u16
const W_INTERRUPTS = 14; // u16: the NIC's interrupts for these packets (Batch#interrupts)
const W_BATCH_ID = 16; // f64
const W_ENQUEUE_NS = 24; // f64
const W_CREATED_NS = 32; // f64
const W_ENQUEUE_CLOCK = 40; // u32
const W_CREATED_CLOCK = 44; // u32

// Per packet, the wire carries the batch's metadata slot without its first field (the frame's
// offset in the buffer, which the receiver chooses): length, reason, flow hash, flow id, seq,
// generator timestamp, in the slot's own layout, so one copy moves it each way.
const SLOT_SKIP = 4;
const P_LENGTH = 0; // u16

/** Bytes the wire form of `b` takes. */
export function wireLength(b: Batch): number {
  return WIRE_HEADER_LEN + b.count * WIRE_META_LEN + b.bytes();
}

/**
 * Encodes into buffers of its own and takes them back once the bus is done with them: a producer
 * has several batches in flight, and a fresh buffer for each (with a fresh batch for each read)
 * cost a hop at batch 64 about an eighth of its client CPU in allocation and garbage collection
 * (bench/RESULTS.md, "Redis Streams bus").
 */
export class BatchEncoder {
  private readonly free: Buffer[] = [];

  /** @param keep buffers kept for reuse at most (as many as a producer has in flight) */
  constructor(private readonly keep = 16) {}

  /** The wire form of `b`, in a buffer no other caller holds until it is given back. */
  encode(b: Batch): Buffer {
    const len = wireLength(b);
    let buf = this.free.pop();
    if (!buf || buf.length < len) buf = Buffer.allocUnsafeSlow(len);
    return encodeInto(b, buf, len);
  }

  /** Takes back what encode() returned, once nothing reads it any more. */
  give(bytes: Buffer): void {
    if (this.free.length < this.keep && bytes.byteOffset === 0)
      this.free.push(Buffer.from(bytes.buffer, 0, bytes.buffer.byteLength));
  }
}

/** The wire form of `b` in a new buffer. */
export function encodeBatch(b: Batch): Buffer {
  const len = wireLength(b);
  return encodeInto(b, Buffer.allocUnsafeSlow(len), len);
}

function encodeInto(b: Batch, buf: Buffer, len: number): Buffer {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = b.count;
  dv.setUint32(W_MAGIC, WIRE_MAGIC);
  buf[W_VERSION] = WIRE_VERSION;
  buf[W_VERSION + 1] = 0;
  dv.setUint16(W_COUNT, n);
  dv.setUint32(W_CHAIN, b.chainId);
  dv.setUint16(W_STAGE, b.stageIndex);
  dv.setUint16(W_INTERRUPTS, b.interrupts);
  dv.setFloat64(W_BATCH_ID, b.batchId);
  dv.setFloat64(W_ENQUEUE_NS, b.enqueueNs);
  dv.setFloat64(W_CREATED_NS, b.createdNs);
  dv.setUint32(W_ENQUEUE_CLOCK, b.enqueueClock);
  dv.setUint32(W_CREATED_CLOCK, b.createdClock);
  const from = new ByteCopier(b.buf);
  const to = new ByteCopier(buf);
  let f = WIRE_HEADER_LEN + n * WIRE_META_LEN;
  for (let i = 0, p = WIRE_HEADER_LEN; i < n; i++, p += WIRE_META_LEN) {
    to.copyFrom(from, HEADER_LEN + i * META_LEN + SLOT_SKIP, p, WIRE_META_LEN);
    const l = b.length(i);
    to.copyFrom(from, b.offset(i), f, l);
    f += l;
  }
  return buf.subarray(0, len);
}

/**
 * A batch (with headroom before every frame again) from its wire form; throws
 * BatchFormatError, naming what is wrong, for anything that is not exactly one valid batch.
 * With a pool, into one of its batches when the packets fit (a stage on the bus decodes a batch
 * per read: a fresh 8 KB buffer each time cost half the decode and fed the garbage collector).
 */
export function decodeBatch(buf: Buffer, pool?: BatchPool): Batch {
  if (buf.length < WIRE_HEADER_LEN)
    throw new BatchFormatError(`batch of ${buf.length} B is shorter than its ${WIRE_HEADER_LEN} B header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(W_MAGIC) !== WIRE_MAGIC) throw new BatchFormatError('not a vnflab batch (bad magic)');
  if (buf[W_VERSION] !== WIRE_VERSION) throw new BatchFormatError(`unsupported batch wire version ${buf[W_VERSION]}`);
  const n = dv.getUint16(W_COUNT);
  const framesAt = WIRE_HEADER_LEN + n * WIRE_META_LEN;
  if (framesAt > buf.length)
    throw new BatchFormatError(`batch of ${n} packets needs ${framesAt} B of headers, has ${buf.length} B`);
  let total = 0;
  let longest = 0;
  for (let i = 0, p = WIRE_HEADER_LEN; i < n; i++, p += WIRE_META_LEN) {
    const l = dv.getUint16(p + P_LENGTH);
    total += l;
    if (l > longest) longest = l;
  }
  if (framesAt + total !== buf.length)
    throw new BatchFormatError(
      `packet lengths add up to ${total} B, the batch carries ${buf.length - framesAt} B of frames`,
    );

  const b =
    pool && n <= pool.batchSize && longest <= pool.maxFrame ? pool.get() : Batch.allocate(Math.max(n, 1), longest);
  b.chainId = dv.getUint32(W_CHAIN);
  b.stageIndex = dv.getUint16(W_STAGE);
  b.interrupts = dv.getUint16(W_INTERRUPTS);
  b.batchId = dv.getFloat64(W_BATCH_ID);
  b.enqueueNs = dv.getFloat64(W_ENQUEUE_NS);
  b.createdNs = dv.getFloat64(W_CREATED_NS);
  // after the times, whose setters stamp this host: the clocks they were really read on
  b.enqueueClock = dv.getUint32(W_ENQUEUE_CLOCK);
  b.createdClock = dv.getUint32(W_CREATED_CLOCK);
  const from = new ByteCopier(buf);
  const to = new ByteCopier(b.buf);
  let f = framesAt;
  for (let i = 0, p = WIRE_HEADER_LEN; i < n; i++, p += WIRE_META_LEN) {
    const l = dv.getUint16(p + P_LENGTH);
    b.append(l); // packet i, with the headroom an element may encapsulate into
    to.copyFrom(from, p, HEADER_LEN + i * META_LEN + SLOT_SKIP, WIRE_META_LEN);
    to.copyFrom(from, f, b.offset(i), l);
    f += l;
  }
  return b;
}

/**
 * Copies short runs of bytes between buffers four at a time where both ends are aligned (the
 * usual case: metadata is 28 B and 64 B frames are 60 B), a byte at a time elsewhere. For runs
 * this short a JavaScript loop beats Buffer#copy's native call, and words beat bytes fourfold.
 */
class ByteCopier {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  readonly base: number;

  constructor(buf: Buffer) {
    this.bytes = new Uint8Array(buf.buffer);
    this.words = new Int32Array(buf.buffer, 0, buf.buffer.byteLength >> 2);
    this.base = buf.byteOffset;
  }

  /** Copies `len` bytes at `from`'s offset `src` to this buffer's offset `dst`. */
  copyFrom(from: ByteCopier, src: number, dst: number, len: number): void {
    let s = from.base + src;
    let d = this.base + dst;
    const end = s + len;
    if (((s | d) & 3) === 0) {
      const sw = from.words;
      const dw = this.words;
      for (const last = end - 4; s <= last; s += 4, d += 4) dw[d >> 2] = sw[s >> 2];
    }
    const sb = from.bytes;
    const db = this.bytes;
    for (; s < end; s++, d++) db[d] = sb[s];
  }
}
