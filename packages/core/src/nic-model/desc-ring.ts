// What the 82599's RX and TX descriptor rings share: 16-byte descriptors in guest memory, a
// power-of-two size, a device-owned head, a driver-owned tail written by the doorbell, and the
// driver's own next-to-use / next-to-clean cursors. One slot always stays unused, so a full
// ring and an empty one look different.

export const DESC_SIZE = 16;

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
  constructor(readonly mem: Buffer, readonly base: number, readonly size: number) {
    if (!Number.isInteger(size) || size < 2 || size > 65536 || (size & (size - 1)) !== 0) {
      throw new RangeError(`ring size ${size} must be a power of two between 2 and 65536`);
    }
    if (base % 16 !== 0 || base < 0 || base + size * DESC_SIZE > mem.length) {
      throw new RangeError(`descriptor ring at ${base} (${size * DESC_SIZE} B) must be 16-byte aligned and inside its memory`);
    }
    this.mask = size - 1;
    this.dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    mem.fill(0, base, base + size * DESC_SIZE);
  }

  /** Descriptors the driver may still post before the ring is full (one slot stays unused). */
  get postable(): number {
    return (this.nextToClean - this.nextToUse - 1) & this.mask;
  }
}
