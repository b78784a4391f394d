// An RX descriptor ring in the Intel 82599 (and e1000) legacy format, kept in a Buffer that is
// usually guest memory. Ownership is by index, as in hardware:
//
//   device owns [head, tail)  - descriptors posted by the driver, waiting for a packet
//   driver owns [tail, head)  - completed descriptors (DD set) and slots not yet reposted
//
// The device advances head (RDH) as it writes packets back; the driver advances tail (RDT), one
// register write per batch (the doorbell). head == tail means the device has no descriptor:
// the next packet is dropped and counted as rx_missed. The driver keeps one slot unused so a
// full ring is never mistaken for an empty one.
//
// Legacy descriptor, 16 bytes, little endian:
//   0  u64 buffer address   8  u16 length   10 u16 fragment checksum
//   12 u8  status (DD, EOP) 13 u8 errors    14 u16 VLAN tag

import { DescRing, DESC_ADDR, DESC_LENGTH, DESC_SIZE, DESC_STAT_DD, DESC_STATUS } from './desc-ring';

export const RX_DESC_SIZE = DESC_SIZE;
export const RXD_ADDR = DESC_ADDR;
export const RXD_LENGTH = DESC_LENGTH;
export const RXD_STATUS = DESC_STATUS;
export const RXD_ERRORS = 13;
/** Status: descriptor done (written back by the device). */
export const RXD_STAT_DD = DESC_STAT_DD;
/** Status: end of packet (the last descriptor of a frame; ours are one buffer per frame). */
export const RXD_STAT_EOP = 0x02;
/** Errors: RX data error (we use it for a DMA the IOMMU refused). */
export const RXD_ERR_RXE = 0x80;

export class RxDescRing extends DescRing {
  // ---- driver side ----

  /** Posts a buffer at nextToUse (read format: address, status cleared). False when full. */
  post(addr: number): boolean {
    if (this.postable === 0) return false;
    const d = this.base + this.nextToUse * RX_DESC_SIZE;
    const dv = this.dv;
    this.writeAddr(d, addr);
    dv.setUint32(d + 8, 0, true); // length, checksum
    dv.setUint32(d + 12, 0, true); // status (DD clear), errors, VLAN
    this.nextToUse = (this.nextToUse + 1) & this.mask;
    return true;
  }

  /**
   * Takes the next completed descriptor (DD set) and returns its index, or -1 if the device has
   * not written it back yet. The caller reads length()/errors() and recycles the buffer.
   */
  harvest(): number {
    return this.takeDone();
  }

  // ---- device side ----

  /** Write-back of descriptor i (= head): length, DD|EOP, errors; then head advances. */
  deviceWriteBack(i: number, length: number, errors = 0): void {
    const d = this.base + i * RX_DESC_SIZE;
    this.dv.setUint16(d + RXD_LENGTH, length, true);
    this.mem[d + RXD_ERRORS] = errors;
    this.mem[d + RXD_STATUS] = RXD_STAT_DD | RXD_STAT_EOP;
    this.head = (i + 1) & this.mask;
  }

  // ---- fields ----

  errors(i: number): number {
    return this.mem[this.base + i * RX_DESC_SIZE + RXD_ERRORS];
  }

  /** Completed descriptors the driver has not harvested yet (what vnflab_ring_occupancy shows). */
  get completed(): number {
    return (this.head - this.nextToClean) & this.mask;
  }
}
