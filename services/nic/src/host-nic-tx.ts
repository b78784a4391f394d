// The host's own NIC under virtio and emulated TX: the software backend (vhost-net, or QEMU's
// e1000 model) copies a guest frame into a host buffer, and the NIC DMAs it from there onto the
// wire.

import { GuestMemory, BUF_SIZE } from '@vnflab/core';
import { DirectDma } from './dma';

export class HostNicTx {
  readonly ram = new GuestMemory(BUF_SIZE);
  private readonly port = new DirectDma(this.ram);

  /** The host buffer the backend copies a frame into. */
  get bytes(): Buffer {
    return this.ram.bytes;
  }

  /** The NIC DMAs the `len`-byte frame in the host buffer onto the wire: into `dst` at `off`. */
  wire(dst: Buffer, off: number, len: number): void {
    this.port.read(dst, off, len, 0);
  }
}
