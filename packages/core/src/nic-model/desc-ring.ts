// What the 82599's RX and TX descriptor rings share: 16-byte descriptors in guest memory, a
// power-of-two size, a device-owned head, a driver-owned tail written by the doorbell, and the
// driver's own next-to-use / next-to-clean cursors. One slot always stays unused, so a full
// ring and an empty one look different.
//
// Both legacy formats keep the buffer address (u64 at 0), the length (u16 at 8) and the status
// byte with DD in bit 0 (at 12) in the same place, so reading those fields, the doorbell, the
// device's fetch and the driver's wait for DD are one mechanism here; what differs (the
// driver's post, the device's write-back) is in rx-ring.ts and tx-ring.ts.

export const DESC_SIZE = 16;
export const DESC_ADDR = 0;
export const DESC_LENGTH = 8;
export const DESC_STATUS = 12;
/** Status: descriptor done (written back by the device). */
export const DESC_STAT_DD = 0x01;

export class DescRing {
  readonly mask: number;
  // DataView accessors: V8 inlines them, unlike Buffer's range-checked writeUInt*
  protected readonly dv: DataView;
  /** Head register (RDH/TDH): next descriptor the device works on. Device-owned. */
  head = 0;
  /** Tail register (RDT/TDT): one past the last descriptor handed to the device; driver-owned. */
  tail = 0;
  /** Driver: next slot to post into (becomes the tail on the next doorbell). */
  nextToUse = 0;
  /** Driver: next slot to check for DD. */
  nextToClean = 0;

  /**
   * `mem` holds the descriptors at `base` (16-byte aligned), `size` of them (a power of two).
   * Carve `size * DESC_SIZE` bytes from guest memory for it, or pass a private Buffer.
   */
  constructor(
    readonly mem: Buffer,
    readonly base: number,
    readonly size: number,
  ) {
    if (!Number.isInteger(size) || size < 2 || size > 65536 || (size & (size - 1)) !== 0) {
      throw new RangeError(`ring size ${size} must be a power of two between 2 and 65536`);
    }
    if (base % 16 !== 0 || base < 0 || base + size * DESC_SIZE > mem.length) {
      throw new RangeError(
        `descriptor ring at ${base} (${size * DESC_SIZE} B) must be 16-byte aligned and inside its memory`,
      );
    }
    this.mask = size - 1;
    this.dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    mem.fill(0, base, base + size * DESC_SIZE);
  }

  // ---- driver side ----

  /** Descriptors the driver may still post before the ring is full (one slot stays unused). */
  get postable(): number {
    return (this.nextToClean - this.nextToUse - 1) & this.mask;
  }

  /**
   * The doorbell: hands the posted descriptors up to `value` (default: all) to the device. This is
   * the one RDT/TDT register write a driver makes per batch.
   */
  writeTail(value = this.nextToUse): number {
    this.tail = value & this.mask;
    return this.tail;
  }

  /** Takes the next descriptor the device wrote DD on and returns its index, or -1 if it has not yet. */
  protected takeDone(): number {
    const i = this.nextToClean;
    if (i === this.nextToUse || (this.mem[this.base + i * DESC_SIZE + DESC_STATUS] & DESC_STAT_DD) === 0) return -1;
    this.nextToClean = (i + 1) & this.mask;
    return i;
  }

  /** Writes the u64 buffer address of the descriptor at byte offset `d`. */
  protected writeAddr(d: number, addr: number): void {
    this.dv.setUint32(d, addr >>> 0, true);
    this.dv.setUint32(d + 4, Math.floor(addr / 0x100000000), true);
  }

  // ---- device side ----

  /** Descriptors the device owns and has not worked on yet. */
  get deviceAvailable(): number {
    return (this.tail - this.head) & this.mask;
  }

  /** The descriptor the device works on next, or -1 when head has reached tail (it owns none). */
  deviceFetch(): number {
    return this.head === this.tail ? -1 : this.head;
  }

  // ---- fields ----

  addr(i: number): number {
    const d = this.base + i * DESC_SIZE;
    const hi = this.dv.getUint32(d + 4, true);
    const lo = this.dv.getUint32(d, true);
    return hi === 0 ? lo : lo + hi * 0x100000000;
  }
  length(i: number): number {
    return this.dv.getUint16(this.base + i * DESC_SIZE + DESC_LENGTH, true);
  }
  status(i: number): number {
    return this.mem[this.base + i * DESC_SIZE + DESC_STATUS];
  }
}
