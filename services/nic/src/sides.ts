// The two halves every nic mode is made of, per direction, each chosen once when the element is
// built: the device side (what moves frames between the wire and guest memory - the physical
// NIC's DMA, or a host NIC plus a software backend's copy - and when it interrupts the guest)
// and the guest side (the guest's queue and its driver). rx-path.ts and tx-path.ts run their
// steps through these, so a path has no mode switches.

import type { Batch, CustomMetricSpec, ElementContext } from '@vnflab/core';
import type { BurstCounts } from './burst';
import type { HarvestQueue } from './harvest-queue';

export interface RxDeviceSide {
  /**
   * Takes the burst's live frames into guest buffers: DMA or a backend's copy, descriptor
   * write-back, interrupts raised. Tags each buffer's slot or descriptor id with the frame's
   * batch index, drops what it cannot take, adds to `b` (interrupts, delivered, dmas, copies,
   * missed) and bills its passes from `t`; returns the clock reading to go on from.
   */
  receive(batch: Batch, now: number, ctx: ElementContext, t: number, b: BurstCounts): number;
  /** Adds the mode's own keys to describe(). */
  describe(out: Record<string, unknown>): void;
  /** Adds the mode's own metrics. */
  metrics(labels: Record<string, string>, out: CustomMetricSpec[]): void;
}

export interface RxGuestSide {
  /** Buffers the device filled that the driver has not harvested yet. */
  readonly occupancy: number;
  /** The driver runs for `interrupts` interrupts: harvests into `q`, refills; adds traps, kicks, doorbells to `b`. */
  harvest(interrupts: number, q: HarvestQueue, b: BurstCounts): void;
}

export interface TxGuestSide {
  /** Frames the queue can still take. */
  readonly room: number;
  /** Frames posted that the driver has not cleaned yet. */
  readonly occupancy: number;
  /**
   * xmit: posts `n` staged frames (pool buffer `stagedBuf[k]` holding frame `stagedIdx[k]` of the
   * batch), tags each slot or descriptor id with its batch index and notifies the device once
   * (doorbell or kick); adds traps, kicks, doorbells to `b`.
   */
  post(batch: Batch, stagedBuf: Int32Array, stagedIdx: Int32Array, n: number, b: BurstCounts): void;
  /** The driver runs for `interrupts` TX-completion interrupts: completed buffers back to the pool; adds traps to `b`. */
  clean(interrupts: number, b: BurstCounts): void;
}

export interface TxDeviceSide {
  /**
   * Transmits every frame the guest handed over: its bytes land back in the batch at the frame's
   * slot (the wire), or it is dropped; completes each descriptor, raises interrupts, adds to `b`
   * (interrupts, delivered, dmas, copies) and bills the pass from `t`; returns the clock reading.
   */
  transmit(batch: Batch, now: number, ctx: ElementContext, t: number, b: BurstCounts): number;
  /** Adds the mode's own keys to describe(). */
  describe(out: Record<string, unknown>): void;
}
