// What one burst through the nic element counted, whichever direction and mode: each step of the
// path adds to it, and at the end of the burst it becomes the stage's events and the element's
// totals, in one place. One object per element, reset per burst, so counting allocates nothing.

import type { StageStats } from '@vnflab/core';
import { Ev } from './events';

const EV_INTERRUPT = Ev.interrupt;
const EV_VM_EXIT = Ev.vm_exit;
const EV_KICK = Ev.kick;
const EV_COPY = Ev.copy;
const EV_DMA = Ev.dma;
const EV_RX_MISSED = Ev.rx_missed;
const EV_IOMMU_FAULT = Ev.iommu_fault;

/** The element's running totals, for describe() and metrics (key order is describe()'s). */
export interface NicTotals {
  interrupts: number;
  vmExits: number;
  kicks: number;
  copies: number;
  dmas: number;
  rxMissed: number;
  iommuFaults: number;
  traps: number;
  doorbells: number;
  bursts: number;
  txRingFull: number;
}

export function newNicTotals(): NicTotals {
  return {
    interrupts: 0,
    vmExits: 0,
    kicks: 0,
    copies: 0,
    dmas: 0,
    rxMissed: 0,
    iommuFaults: 0,
    traps: 0,
    doorbells: 0,
    bursts: 0,
    txRingFull: 0,
  };
}

export class BurstCounts {
  /** Interrupts the device raised unmasked (or virtio notifications it sent). */
  interrupts = 0;
  exits = 0;
  kicks = 0;
  copies = 0;
  dmas = 0;
  /** Frames the RX ring or virtqueue had no buffer for. */
  missed = 0;
  /** Driver register accesses that trapped (emulated). */
  traps = 0;
  doorbells = 0;
  ringFull = 0;
  /** Frames that reached guest buffers (rx) or went out on the wire (tx). */
  delivered = 0;

  reset(): void {
    this.interrupts = 0;
    this.exits = 0;
    this.kicks = 0;
    this.copies = 0;
    this.dmas = 0;
    this.missed = 0;
    this.traps = 0;
    this.doorbells = 0;
    this.ringFull = 0;
    this.delivered = 0;
  }

  /** The burst is over: its events into `stats`, its counts (and `faults` IOMMU faults) into `totals`. */
  report(stats: StageStats, totals: NicTotals, faults: number): void {
    if (this.interrupts) stats.event(EV_INTERRUPT, this.interrupts);
    if (this.exits) stats.event(EV_VM_EXIT, this.exits);
    if (this.kicks) stats.event(EV_KICK, this.kicks);
    if (this.copies) stats.event(EV_COPY, this.copies);
    if (this.dmas) stats.event(EV_DMA, this.dmas);
    if (this.missed) stats.event(EV_RX_MISSED, this.missed);
    if (faults) stats.event(EV_IOMMU_FAULT, faults);
    totals.interrupts += this.interrupts;
    totals.vmExits += this.exits;
    totals.kicks += this.kicks;
    totals.copies += this.copies;
    totals.dmas += this.dmas;
    totals.rxMissed += this.missed;
    totals.iommuFaults += faults;
    totals.traps += this.traps;
    totals.doorbells += this.doorbells;
    totals.bursts++;
    totals.txRingFull += this.ringFull;
  }
}
