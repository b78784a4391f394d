// The driver side of an 82599/e1000 TX ring (Linux ixgbe/e1000 style): xmit posts one descriptor
// per frame (EOP|IFCS|RS) pointing at a mempool buffer, the doorbell writes TDT once per batch
// (xmit_more), and on a TX-completion interrupt the NAPI poll masks, cleans every descriptor the
// device marked DD, gives its buffer back to the pool and unmasks. Every register access goes
// through NicRegisters, so on an emulated NIC each one traps.

import type { Mempool, TxDescRing } from '@vnflab/core';
import type { DmaPort } from './dma';
import { ICR_TXDW, REG_ICR, REG_IMC, REG_IMS, REG_STATUS, REG_TDT, type NicRegisters } from './registers';

export class TxRingDriver {
  /** Ring slot -> mempool buffer index (the driver's tx_buffer_info). */
  private readonly bufOf: Int32Array;
  /** Descriptors cleaned (buffers returned to the pool). */
  cleaned = 0;
  polls = 0;

  constructor(
    readonly ring: TxDescRing,
    readonly pool: Mempool,
    readonly port: DmaPort,
    readonly regs: NicRegisters,
  ) {
    this.bufOf = new Int32Array(ring.size).fill(-1);
  }

  /** Driver open: unmask the TX-completion interrupt. */
  open(): void {
    this.regs.write(REG_IMS, ICR_TXDW);
  }

  /** Frames the ring can still take (the stack stops the queue at 0: tx_ring_full). */
  get room(): number {
    return this.ring.postable;
  }

  /** Posts pool buffer `b` holding a frame of `len` bytes; returns the slot, or -1 when full. */
  post(b: number, len: number): number {
    const slot = this.ring.post(this.port.busAddr(this.pool.addr(b)), len);
    if (slot >= 0) this.bufOf[slot] = b;
    return slot;
  }

  /** The doorbell: one TDT write hands every posted descriptor to the device. */
  doorbell(): void {
    this.regs.write(REG_TDT, this.ring.nextToUse);
  }

  /** Interrupt service routine: read (and clear) the cause. */
  isr(): number {
    return this.regs.read(REG_ICR);
  }

  /** The NAPI poll after a TX interrupt: mask, clean, unmask. Returns descriptors cleaned. */
  poll(): number {
    const regs = this.regs;
    this.polls++;
    regs.write(REG_IMC, ICR_TXDW);
    regs.read(REG_STATUS); // flush the posted write, as E1000_WRITE_FLUSH does
    const n = this.clean();
    regs.write(REG_IMS, ICR_TXDW);
    return n;
  }

  /** ixgbe_clean_tx_irq: every DD descriptor's buffer goes back to the pool. */
  clean(): number {
    const ring = this.ring;
    let n = 0;
    for (let slot = ring.clean(); slot >= 0; slot = ring.clean()) {
      this.pool.put(this.bufOf[slot]);
      this.bufOf[slot] = -1;
      n++;
    }
    this.cleaned += n;
    return n;
  }
}
