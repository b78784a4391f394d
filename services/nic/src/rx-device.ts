// The receive engine of a NIC on an 82599/e1000 descriptor ring: for each frame off the wire it
// takes the descriptor at head, DMAs the frame into that descriptor's buffer through its DmaPort
// and writes the descriptor back (length, DD|EOP). The same engine is the physical NIC (a DMA
// through the IOMMU or straight to RAM) and QEMU's e1000 model (a CPU copy into guest RAM): only
// the port and who pays differ.

import type { RxDescRing } from '@vnflab/core';
import type { DmaPort } from './dma';

/** rx() results below 0. */
export const RX_MISSED = -1; // the ring had no descriptor for the frame
export const RX_FAULT = -2; // the DMA was refused (IOMMU fault)
export const RX_OVERSIZE = -3; // the frame does not fit a buffer (no multi-descriptor frames here)

const RXD_ERR_RXE = 0x80;

export class RxDevice {
  /** Frames written into buffers. */
  received = 0;
  missed = 0;
  faults = 0;

  constructor(
    readonly ring: RxDescRing,
    readonly port: DmaPort,
    readonly bufSize: number,
  ) {}

  /** Receives `len` bytes of `src` at `off`; returns the descriptor slot used, or RX_* < 0. */
  rx(src: Buffer, off: number, len: number): number {
    const ring = this.ring;
    const slot = ring.deviceFetch();
    if (slot < 0) {
      this.missed++;
      return RX_MISSED;
    }
    if (len > this.bufSize) {
      // written back empty with an error so the driver recycles the buffer and the ring moves on
      ring.deviceWriteBack(slot, 0, RXD_ERR_RXE);
      return RX_OVERSIZE;
    }
    if (!this.port.write(src, off, len, ring.addr(slot))) {
      ring.deviceWriteBack(slot, 0, RXD_ERR_RXE);
      this.faults++;
      return RX_FAULT;
    }
    ring.deviceWriteBack(slot, len, 0);
    this.received++;
    return slot;
  }
}
