// A TX descriptor ring in the Intel 82599 (and e1000) legacy format, kept in a Buffer that is
// usually guest memory. Ownership is by index, as in hardware:
//
//   device owns [head, tail)  - descriptors posted by the driver, waiting to be transmitted
//   driver owns [tail, head)  - sent descriptors (DD set once written back) and free slots
//
// The driver posts a buffer per frame (EOP|IFCS|RS), writes the tail (TDT) once per batch (the
// doorbell); the device fetches from head up to tail, DMAs each frame out of memory, writes DD
// back (because RS asked for it) and advances head (TDH). The driver cleans DD descriptors from
// nextToClean and returns their buffers. One slot stays unused so a full ring is never mistaken
// for an empty one; when no slot is free the driver cannot post (tx_ring_full).
//
// Legacy descriptor, 16 bytes, little endian (82599 datasheet 7.2.3.2.2):
//   0  u64 buffer address   8  u16 length   10 u8 CSO   11 u8 CMD
//   12 u8  STA (DD, low nibble)   13 u8 CSS   14 u16 VLAN tag

import { DescRing, DESC_ADDR, DESC_LENGTH, DESC_SIZE, DESC_STAT_DD, DESC_STATUS } from './desc-ring';

export const TX_DESC_SIZE = DESC_SIZE;
export const TXD_ADDR = DESC_ADDR;
export const TXD_LENGTH = DESC_LENGTH;
export const TXD_CSO = 10;
export const TXD_CMD = 11;
export const TXD_STATUS = DESC_STATUS;
export const TXD_CSS = 13;
export const TXD_VLAN = 14;
/** CMD: end of packet (the last descriptor of a frame; ours are one buffer per frame). */
export const TXD_CMD_EOP = 0x01;
/** CMD: insert FCS (the NIC appends the Ethernet CRC). */
export const TXD_CMD_IFCS = 0x02;
/** CMD: report status - the device writes DD back when the descriptor is done. */
export const TXD_CMD_RS = 0x08;
/** STA: descriptor done (written back by the device, only if RS was set). */
export const TXD_STAT_DD = DESC_STAT_DD;
/** What a driver sets on a single-buffer frame. */
export const TXD_CMD_FRAME = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS;

export class TxDescRing extends DescRing {
  // ---- driver side ----

  /**
   * Posts a frame of `length` bytes at bus address `addr` into nextToUse (STA cleared) and
   * returns its slot, or -1 when the ring is full (the caller drops: tx_ring_full).
   */
  post(addr: number, length: number, cmd = TXD_CMD_FRAME): number {
    if (this.postable === 0) return -1;
    const i = this.nextToUse;
    const d = this.base + i * TX_DESC_SIZE;
    const dv = this.dv;
    this.writeAddr(d, addr);
    dv.setUint16(d + TXD_LENGTH, length, true);
    this.mem[d + TXD_CSO] = 0;
    this.mem[d + TXD_CMD] = cmd;
    dv.setUint32(d + TXD_STATUS, 0, true); // STA (DD clear), CSS, VLAN
    this.nextToUse = (i + 1) & this.mask;
    return i;
  }

  /**
   * Takes the next transmitted descriptor (DD set) and returns its index, or -1 if the device
   * has not written it back yet. The caller gives its buffer back to the pool.
   */
  clean(): number {
    return this.takeDone();
  }

  // ---- device side ----

  /** Descriptor i (= head) is done: DD is written back if RS asked for it; head advances. */
  deviceWriteBack(i: number): void {
    const d = this.base + i * TX_DESC_SIZE;
    if ((this.mem[d + TXD_CMD] & TXD_CMD_RS) !== 0) this.mem[d + TXD_STATUS] |= TXD_STAT_DD;
    this.head = (i + 1) & this.mask;
  }

  // ---- fields ----

  cmd(i: number): number {
    return this.mem[this.base + i * TX_DESC_SIZE + TXD_CMD];
  }

  /** Descriptors posted and not yet cleaned (in flight or waiting for the driver to clean). */
  get inFlight(): number {
    return (this.nextToUse - this.nextToClean) & this.mask;
  }
}
