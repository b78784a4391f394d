// The guest RAM behind one NIC queue, receive or transmit: the descriptor ring (or virtqueue) and
// the driver's packet buffers, with RAM the driver never maps below and above them (the rest of
// the VM), and the device's IOMMU domain when one translates. Both directions lay it out the same
// way; only how the device may touch the buffers differs (RX writes them, TX only reads).

import { BUF_SIZE, GuestMemory, Mempool, PAGE_SIZE } from '@vnflab/core';
import { DirectDma, type DmaPort } from './dma';
import { IOMMU_READ, IOMMU_WRITE, IommuDomain } from './iommu';

/** Where the guest driver's bus addresses start when an IOMMU translates (IOVA = GPA + this). */
export const IOVA_BASE = 0x40000000;
/** Guest RAM the driver never maps, below and above its queue and buffers (the rest of the VM). */
export const GUEST_RAM_PAD = 16 * 4096;

export const roundPage = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

export class GuestQueueRam {
  readonly ram: GuestMemory;
  /** GPA of the ring or virtqueue. */
  readonly queueGpa: number;
  readonly pool: Mempool;
  /** The device's IOMMU domain, when one translates (passthrough, or a vIOMMU). */
  readonly iommu: IommuDomain | null;
  /** What device DMA (or a backend's copy) into and out of this RAM goes through. */
  readonly guestPort: DmaPort;

  /**
   * `queueBytes` for the ring or virtqueue (rounded up to pages), `poolCount` packet buffers.
   * With `iommu` the driver maps only the queue (read/write: the device writes descriptors back)
   * and the buffers with `bufferAccess`.
   */
  constructor(queueBytes: number, poolCount: number, iommu: boolean, bufferAccess: number) {
    const qBytes = roundPage(queueBytes);
    this.ram = new GuestMemory(GUEST_RAM_PAD + qBytes + poolCount * BUF_SIZE + GUEST_RAM_PAD);
    this.ram.carve(GUEST_RAM_PAD, PAGE_SIZE);
    this.queueGpa = this.ram.carve(qBytes, PAGE_SIZE);
    this.pool = new Mempool(this.ram, poolCount, BUF_SIZE);
    this.ram.carve(GUEST_RAM_PAD, PAGE_SIZE);

    if (iommu) {
      const d = new IommuDomain(this.ram, IOVA_BASE, this.ram.size / PAGE_SIZE);
      d.map(d.busAddr(this.queueGpa), this.queueGpa, qBytes, IOMMU_READ | IOMMU_WRITE);
      d.map(d.busAddr(this.pool.base), this.pool.base, poolCount * BUF_SIZE, bufferAccess);
      this.iommu = d;
      this.guestPort = d;
    } else {
      this.iommu = null;
      this.guestPort = new DirectDma(this.ram);
    }
  }
}
