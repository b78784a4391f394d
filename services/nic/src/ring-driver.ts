// The driver side of an 82599/e1000 RX ring (Linux e1000/ixgbe style): it keeps the ring posted
// with buffers from its mempool, and on an interrupt reads ICR, masks the interrupt, polls the
// ring for DD (NAPI), refills, writes RDT once (the doorbell) and unmasks. Every register access
// goes through NicRegisters, so on an emulated NIC each one traps.

import type { Mempool, RxDescRing } from '@vnflab/core';
import type { DmaPort } from './dma';
import type { HarvestQueue } from './harvest-queue';
import { ICR_RXT0, REG_ICR, REG_IMC, REG_IMS, REG_RDT, REG_STATUS, type NicRegisters } from './registers';

const RXD_STAT_EOP = 0x02;

export class RingDriver {
  /** Ring slot -> mempool buffer index (the driver's rx_buffer_info). */
  private readonly bufOf: Int32Array;
  /** Descriptors the device wrote back with an error (buffer recycled, nothing delivered). */
  errors = 0;
  polls = 0;
  /** Posts that failed because the mempool was empty. */
  poolEmpty = 0;

  constructor(
    readonly ring: RxDescRing,
    readonly pool: Mempool,
    readonly port: DmaPort,
    readonly regs: NicRegisters,
  ) {
    this.bufOf = new Int32Array(ring.size).fill(-1);
  }

  /** Driver open: post every free slot, ring the doorbell, unmask the receive interrupt. */
  open(): void {
    this.refill();
    this.regs.write(REG_RDT, this.ring.nextToUse);
    this.regs.write(REG_IMS, ICR_RXT0);
  }

  /** Interrupt service routine: read (and clear) the cause. */
  isr(): number {
    return this.regs.read(REG_ICR);
  }

  /**
   * The NAPI poll after an interrupt: mask, harvest every completed descriptor into `q`, refill
   * the ring, one doorbell, unmask. Returns the packets harvested.
   */
  poll(q: HarvestQueue): number {
    const regs = this.regs;
    this.polls++;
    regs.write(REG_IMC, ICR_RXT0);
    regs.read(REG_STATUS); // flush the posted write, as E1000_WRITE_FLUSH does
    const n = this.harvest(q);
    this.refill();
    regs.write(REG_RDT, this.ring.nextToUse);
    regs.write(REG_IMS, ICR_RXT0);
    regs.read(REG_STATUS);
    return n;
  }

  /** Takes completed descriptors: good ones into `q`, errored ones straight back to the pool. */
  harvest(q: HarvestQueue): number {
    const ring = this.ring;
    let n = 0;
    for (let slot = ring.harvest(); slot >= 0; slot = ring.harvest()) {
      const b = this.bufOf[slot];
      this.bufOf[slot] = -1;
      if (ring.errors(slot) !== 0 || (ring.status(slot) & RXD_STAT_EOP) === 0) {
        this.errors++;
        this.pool.put(b);
        continue;
      }
      q.push(b, ring.length(slot), slot);
      n++;
    }
    return n;
  }

  /** Posts pool buffers into every free slot (no doorbell). Returns how many. */
  refill(): number {
    const ring = this.ring;
    const pool = this.pool;
    let n = 0;
    while (ring.postable > 0) {
      const b = pool.get();
      if (b < 0) {
        this.poolEmpty++;
        break;
      }
      this.bufOf[ring.nextToUse] = b;
      ring.post(this.port.busAddr(pool.addr(b)));
      n++;
    }
    return n;
  }
}
