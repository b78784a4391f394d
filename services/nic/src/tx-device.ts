// The transmit engine of a NIC on an 82599/e1000 descriptor ring: it fetches descriptors from
// head up to tail, DMAs each frame out of its buffer through its DmaPort (a read: the IOMMU must
// grant read permission) and writes DD back. The same engine is the physical NIC and QEMU's
// e1000 model (a CPU copy out of guest RAM): only the port and who pays differ.

import type { TxDescRing } from '@vnflab/core';
import type { DmaPort } from './dma';

/** send() results below 0. */
export const TX_FAULT = -2; // the DMA read was refused (IOMMU fault)

export class TxDevice {
  /** Frames read out of memory. */
  sent = 0;
  faults = 0;

  constructor(
    readonly ring: TxDescRing,
    readonly port: DmaPort,
  ) {}

  /** The next descriptor to transmit, or -1 when head has reached tail. */
  fetch(): number {
    return this.ring.deviceFetch();
  }

  /**
   * Transmits descriptor `slot` (the one fetch() returned): DMA-reads its frame into `dst` at
   * `off`, writes DD back and returns the length, or TX_FAULT. A refused DMA still completes the
   * descriptor, so the driver recycles the buffer and the ring moves on.
   */
  send(slot: number, dst: Buffer, off: number): number {
    const ring = this.ring;
    const len = ring.length(slot);
    const ok = this.port.read(dst, off, len, ring.addr(slot));
    ring.deviceWriteBack(slot);
    if (!ok) {
      this.faults++;
      return TX_FAULT;
    }
    this.sent++;
    return len;
  }
}
