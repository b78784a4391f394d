// Device DMA into guest (or host) memory. A DmaPort is what a device, or a software backend
// writing on a device's behalf, sees of memory: it addresses bus addresses, and the port decides
// what they mean. DirectDma is a bus address = physical address (no IOMMU); IommuDomain
// (iommu.ts) translates through the guest driver's page table.

import type { GuestMemory } from '@vnflab/core';

export interface DmaPort {
  /** Copies `len` bytes of `src` at `srcStart` to bus address `addr`. False if refused. */
  write(src: Buffer, srcStart: number, len: number, addr: number): boolean;
  /** Copies `len` bytes at bus address `addr` into `dst` at `dstStart`. False if refused. */
  read(dst: Buffer, dstStart: number, len: number, addr: number): boolean;
  /** The bus address a driver programs into a descriptor for guest physical address `gpa`. */
  busAddr(gpa: number): number;
}

/** No translation: the bus address is the physical address (bare metal, or a host's own RAM). */
export class DirectDma implements DmaPort {
  constructor(readonly mem: GuestMemory) {}

  write(src: Buffer, srcStart: number, len: number, addr: number): boolean {
    // a DMA past the end of RAM is a master abort on real hardware; here it is refused
    if (addr < 0 || addr + len > this.mem.bytes.length) return false;
    src.copy(this.mem.bytes, addr, srcStart, srcStart + len);
    return true;
  }

  read(dst: Buffer, dstStart: number, len: number, addr: number): boolean {
    if (addr < 0 || addr + len > this.mem.bytes.length) return false;
    this.mem.bytes.copy(dst, dstStart, addr, addr + len);
    return true;
  }

  busAddr(gpa: number): number {
    return gpa;
  }
}
