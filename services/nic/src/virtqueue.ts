// A split virtqueue laid out in guest memory exactly as VIRTIO 1.x, "Split Virtqueues":
//
//   Descriptor Table  align 16  16 * Q     struct virtq_desc  { le64 addr; le32 len; le16 flags; le16 next; }
//   Available Ring    align 2   6 + 2 * Q  struct virtq_avail { le16 flags; le16 idx; le16 ring[Q]; le16 used_event; }
//   Used Ring         align 4   6 + 8 * Q  struct virtq_used  { le16 flags; le16 idx; struct { le32 id; le32 len; } ring[Q]; le16 avail_event; }
//
// Q is a power of two up to 32768. idx fields are free-running 16-bit counters that wrap at
// 65536; a ring slot is idx % Q. This file is only the memory layout and its accessors; the
// guest driver (virtio-driver.ts) and the host backend (vhost-backend.ts) use it from each side.

export const VIRTQ_DESC_SIZE = 16;
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
/** used.flags: the device asks not to be notified (kicked) - when EVENT_IDX is off. */
export const VIRTQ_USED_F_NO_NOTIFY = 1;
/** avail.flags: the driver asks not to be interrupted - when EVENT_IDX is off. */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
export const VIRTQ_MAX_SIZE = 32768;

export interface VirtqLayout {
  size: number;
  /** Offsets from the queue's base. */
  desc: number;
  avail: number;
  used: number;
  descBytes: number;
  availBytes: number;
  usedBytes: number;
  /** Bytes from base to the end of the used ring. */
  total: number;
}

/**
 * Where each part lies for queue size `q`, parts placed back to back with the spec's alignment.
 * `usedAlign` 4 is the 1.x minimum; 4096 gives the legacy (vring_init) layout.
 */
export function virtqLayout(q: number, usedAlign = 4): VirtqLayout {
  if (!Number.isInteger(q) || q < 1 || q > VIRTQ_MAX_SIZE || (q & (q - 1)) !== 0)
    throw new RangeError(`virtqueue size ${q} must be a power of two up to ${VIRTQ_MAX_SIZE}`);
  const descBytes = VIRTQ_DESC_SIZE * q;
  const availBytes = 6 + 2 * q;
  const usedBytes = 6 + 8 * q;
  const avail = descBytes; // 16 * q is already 2-aligned
  const used = (avail + availBytes + usedAlign - 1) & ~(usedAlign - 1);
  return { size: q, desc: 0, avail, used, descBytes, availBytes, usedBytes, total: used + usedBytes };
}

/** vring_need_event: notify iff `event` lies in [old, new) mod 2^16 (VIRTIO 1.x, notification suppression). */
export function vringNeedEvent(event: number, newIdx: number, old: number): boolean {
  return ((newIdx - event - 1) & 0xffff) < ((newIdx - old) & 0xffff);
}

/** Accessors for one split virtqueue in `mem` at `base` (16-aligned). Little endian throughout. */
export class SplitVirtqueue {
  readonly layout: VirtqLayout;
  readonly mask: number;
  private readonly d: number;
  private readonly a: number;
  private readonly u: number;
  private readonly dv: DataView;

  constructor(
    readonly mem: Buffer,
    readonly base: number,
    readonly size: number,
    usedAlign = 4,
  ) {
    this.layout = virtqLayout(size, usedAlign);
    if (base % 16 !== 0 || base + this.layout.total > mem.length)
      throw new RangeError(`virtqueue at ${base} must be 16-aligned and fit its memory`);
    this.mask = size - 1;
    this.d = base + this.layout.desc;
    this.a = base + this.layout.avail;
    this.u = base + this.layout.used;
    this.dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    mem.fill(0, base, base + this.layout.total);
  }

  // descriptor table
  setDesc(i: number, addr: number, len: number, flags: number, next: number): void {
    const o = this.d + i * VIRTQ_DESC_SIZE;
    this.dv.setUint32(o, addr >>> 0, true);
    this.dv.setUint32(o + 4, Math.floor(addr / 0x100000000), true);
    this.dv.setUint32(o + 8, len, true);
    this.dv.setUint16(o + 12, flags, true);
    this.dv.setUint16(o + 14, next, true);
  }
  descAddr(i: number): number {
    const o = this.d + i * VIRTQ_DESC_SIZE;
    return this.dv.getUint32(o, true) + this.dv.getUint32(o + 4, true) * 0x100000000;
  }
  descLen(i: number): number {
    return this.dv.getUint32(this.d + i * VIRTQ_DESC_SIZE + 8, true);
  }
  descFlags(i: number): number {
    return this.dv.getUint16(this.d + i * VIRTQ_DESC_SIZE + 12, true);
  }
  descNext(i: number): number {
    return this.dv.getUint16(this.d + i * VIRTQ_DESC_SIZE + 14, true);
  }

  // available ring (driver writes, device reads)
  get availFlags(): number {
    return this.dv.getUint16(this.a, true);
  }
  set availFlags(v: number) {
    this.dv.setUint16(this.a, v, true);
  }
  get availIdx(): number {
    return this.dv.getUint16(this.a + 2, true);
  }
  set availIdx(v: number) {
    this.dv.setUint16(this.a + 2, v & 0xffff, true);
  }
  /** avail.ring[idx % Q] */
  availRing(idx: number): number {
    return this.dv.getUint16(this.a + 4 + 2 * (idx & this.mask), true);
  }
  setAvailRing(idx: number, descId: number): void {
    this.dv.setUint16(this.a + 4 + 2 * (idx & this.mask), descId, true);
  }
  /** avail.used_event: with EVENT_IDX, interrupt me when used.idx passes this. */
  get usedEvent(): number {
    return this.dv.getUint16(this.a + 4 + 2 * this.size, true);
  }
  set usedEvent(v: number) {
    this.dv.setUint16(this.a + 4 + 2 * this.size, v & 0xffff, true);
  }

  // used ring (device writes, driver reads)
  get usedFlags(): number {
    return this.dv.getUint16(this.u, true);
  }
  set usedFlags(v: number) {
    this.dv.setUint16(this.u, v, true);
  }
  get usedIdx(): number {
    return this.dv.getUint16(this.u + 2, true);
  }
  set usedIdx(v: number) {
    this.dv.setUint16(this.u + 2, v & 0xffff, true);
  }
  /** used.ring[idx % Q] = { id, len } */
  setUsedElem(idx: number, id: number, len: number): void {
    const o = this.u + 4 + 8 * (idx & this.mask);
    this.dv.setUint32(o, id, true);
    this.dv.setUint32(o + 4, len, true);
  }
  usedElemId(idx: number): number {
    return this.dv.getUint32(this.u + 4 + 8 * (idx & this.mask), true);
  }
  usedElemLen(idx: number): number {
    return this.dv.getUint32(this.u + 4 + 8 * (idx & this.mask) + 4, true);
  }
  /** used.avail_event: with EVENT_IDX, kick me when avail.idx passes this. */
  get availEvent(): number {
    return this.dv.getUint16(this.u + 4 + 8 * this.size, true);
  }
  set availEvent(v: number) {
    this.dv.setUint16(this.u + 4 + 8 * this.size, v & 0xffff, true);
  }
}
