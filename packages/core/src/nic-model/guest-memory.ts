// Guest memory: one large Buffer standing for a VM's (or a host's) physical RAM. A guest physical
// address (GPA) is simply a byte offset into `bytes`. Rings, virtqueues and packet buffers are
// carved out of it once at set-up, so the data path never allocates.

/** The IOMMU and the guest page tables work in 4 KiB pages. */
export const PAGE_SIZE = 4096;

export class GuestMemory {
  /** The whole RAM; bytes[gpa] is the byte at guest physical address gpa. */
  readonly bytes: Buffer;
  private next = 0;

  /** `size` is rounded up to whole pages. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size <= 0)
      throw new RangeError(`guest memory size ${size} must be a positive integer`);
    this.bytes = Buffer.alloc(Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Bytes carved so far. */
  get used(): number {
    return this.next;
  }

  /**
   * Reserves `len` bytes aligned to `align` (a power of two) and returns their GPA. Set-up only:
   * there is no free, as a driver allocates its rings and pools once.
   */
  carve(len: number, align = 64): number {
    if (!Number.isInteger(len) || len <= 0) throw new RangeError(`carve length ${len} must be a positive integer`);
    if (!Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0)
      throw new RangeError(`carve alignment ${align} must be a power of two`);
    const gpa = (this.next + align - 1) & ~(align - 1);
    if (gpa + len > this.bytes.length) {
      throw new RangeError(`guest memory exhausted: ${len} B at ${gpa} does not fit in ${this.bytes.length} B`);
    }
    this.next = gpa + len;
    return gpa;
  }

  /** Bytes needed to carve the given sizes with their alignments, for sizing the constructor. */
  static sizeFor(parts: readonly { len: number; align?: number }[]): number {
    let n = 0;
    for (const p of parts) {
      const a = p.align ?? 64;
      n = ((n + a - 1) & ~(a - 1)) + p.len;
    }
    return n;
  }
}
