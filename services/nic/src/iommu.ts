// An IOMMU domain (Intel VT-d second-level translation, simplified to one level): the guest
// driver maps IOVA pages (4 KiB) to guest-physical pages with read/write permission, and every
// device DMA is translated page by page through that table. A DMA that touches an unmapped page,
// or writes a read-only one, is refused as a whole before any byte moves (a DMA remapping fault):
// nothing outside the mapping is ever written.

import * as core from '@vnflab/core';
import type { GuestMemory } from '@vnflab/core';
import type { DmaPort } from './dma';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const PAGE_SIZE = core.PAGE_SIZE;

export const IOMMU_READ = 1;
export const IOMMU_WRITE = 2;
const PAGE_SHIFT = 12;

export class IommuDomain implements DmaPort {
  /** IOVA page (from iovaBase) -> guest page, -1 when unmapped. */
  private readonly table: Int32Array;
  private readonly perm: Uint8Array;
  /** Per guest page: how many IOVA pages map it writable (for checks and tests). */
  private readonly writers: Uint16Array;
  /** DMAs refused since creation. */
  faults = 0;
  /** Bus address and direction of the most recent fault, for the log. */
  lastFaultIova = -1;
  lastFaultWrite = false;

  /**
   * A domain whose IOVA window is [iovaBase, iovaBase + pages * 4 KiB). A base that differs from
   * 0 makes an untranslated guest-physical address fault, as it would on real hardware.
   */
  constructor(
    readonly mem: GuestMemory,
    readonly iovaBase: number,
    readonly pages: number,
  ) {
    if (iovaBase % PAGE_SIZE !== 0 || iovaBase < 0) throw new RangeError(`IOVA base ${iovaBase} must be page aligned`);
    if (!Number.isInteger(pages) || pages < 1) throw new RangeError(`IOVA window of ${pages} pages`);
    this.table = new Int32Array(pages).fill(-1);
    this.perm = new Uint8Array(pages);
    this.writers = new Uint16Array(mem.size / PAGE_SIZE);
  }

  /** Maps [iova, iova+len) to [gpa, gpa+len) with `perm` (IOMMU_READ | IOMMU_WRITE). Page aligned. */
  map(iova: number, gpa: number, len: number, perm: number): void {
    if (iova % PAGE_SIZE !== 0 || gpa % PAGE_SIZE !== 0)
      throw new RangeError(`IOMMU map: IOVA ${iova} and GPA ${gpa} must be page aligned`);
    if (gpa < 0 || gpa + len > this.mem.size)
      throw new RangeError(`IOMMU map: GPA range ${gpa}+${len} is outside guest memory`);
    const first = (iova - this.iovaBase) / PAGE_SIZE;
    const n = Math.ceil(len / PAGE_SIZE);
    if (first < 0 || first + n > this.pages)
      throw new RangeError(`IOMMU map: IOVA range ${iova}+${len} is outside the domain window`);
    if ((perm & (IOMMU_READ | IOMMU_WRITE)) === 0)
      throw new RangeError('IOMMU map: permission must include read or write');
    for (let k = 0; k < n; k++) {
      this.clear(first + k);
      this.table[first + k] = gpa / PAGE_SIZE + k;
      this.perm[first + k] = perm;
      if (perm & IOMMU_WRITE) this.writers[gpa / PAGE_SIZE + k]++;
    }
  }

  /** Removes the mapping of [iova, iova+len). */
  unmap(iova: number, len: number): void {
    const first = Math.floor((iova - this.iovaBase) / PAGE_SIZE);
    const n = Math.ceil(len / PAGE_SIZE);
    for (let k = Math.max(0, first); k < Math.min(this.pages, first + n); k++) this.clear(k);
  }

  private clear(p: number): void {
    const g = this.table[p];
    if (g >= 0 && this.perm[p] & IOMMU_WRITE) this.writers[g]--;
    this.table[p] = -1;
    this.perm[p] = 0;
  }

  /** Guest-physical address for `iova` if the page allows `need`, else -1. */
  translate(iova: number, need: number): number {
    const off = iova - this.iovaBase;
    if (off < 0) return -1;
    const p = off >>> PAGE_SHIFT;
    if (p >= this.pages || (this.perm[p] & need) !== need) return -1;
    return this.table[p] * PAGE_SIZE + (off & (PAGE_SIZE - 1));
  }

  /** True if some IOVA maps guest page `gpaPage` writable: the only pages a device may change. */
  gpaPageWritable(gpaPage: number): boolean {
    return this.writers[gpaPage] > 0;
  }

  write(src: Buffer, srcStart: number, len: number, iova: number): boolean {
    // one page (a 2 KiB buffer never straddles one): a single lookup, as an IOTLB hit would be
    const off = iova - this.iovaBase;
    const p = off >>> PAGE_SHIFT;
    if (off >= 0 && len > 0 && p === (off + len - 1) >>> PAGE_SHIFT && p < this.pages) {
      if ((this.perm[p] & IOMMU_WRITE) === 0) return this.fault(iova, true);
      src.copy(this.mem.bytes, this.table[p] * PAGE_SIZE + (off & (PAGE_SIZE - 1)), srcStart, srcStart + len);
      return true;
    }
    if (!this.check(iova, len, IOMMU_WRITE)) return this.fault(iova, true);
    const mem = this.mem.bytes;
    let done = 0;
    while (done < len) {
      const a = iova + done;
      const chunk = Math.min(len - done, PAGE_SIZE - ((a - this.iovaBase) & (PAGE_SIZE - 1)));
      src.copy(mem, this.translate(a, IOMMU_WRITE), srcStart + done, srcStart + done + chunk);
      done += chunk;
    }
    return true;
  }

  read(dst: Buffer, dstStart: number, len: number, iova: number): boolean {
    if (!this.check(iova, len, IOMMU_READ)) return this.fault(iova, false);
    const mem = this.mem.bytes;
    let done = 0;
    while (done < len) {
      const a = iova + done;
      const chunk = Math.min(len - done, PAGE_SIZE - ((a - this.iovaBase) & (PAGE_SIZE - 1)));
      const g = this.translate(a, IOMMU_READ);
      mem.copy(dst, dstStart + done, g, g + chunk);
      done += chunk;
    }
    return true;
  }

  /** The guest driver's policy: IOVA = GPA + iovaBase. */
  busAddr(gpa: number): number {
    return gpa + this.iovaBase;
  }

  // every page the DMA touches must allow it, checked before a byte moves
  private check(iova: number, len: number, need: number): boolean {
    if (len <= 0) return len === 0;
    const off = iova - this.iovaBase;
    if (off < 0) return false;
    const last = (off + len - 1) >>> PAGE_SHIFT;
    if (last >= this.pages) return false;
    for (let p = off >>> PAGE_SHIFT; p <= last; p++) if ((this.perm[p] & need) !== need) return false;
    return true;
  }

  private fault(iova: number, write: boolean): false {
    this.faults++;
    this.lastFaultIova = iova;
    this.lastFaultWrite = write;
    return false;
  }
}
