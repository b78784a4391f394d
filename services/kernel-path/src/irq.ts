// How the driver learns that packets arrived, and how much it takes per look at the ring.
//
// - per-packet: the lecture's "interrupt on every incoming packet". Each packet is one
//   notification: a real event-loop hop to the handler, plus the profile's interrupt entry, then
//   the handler harvests that one descriptor.
// - napi:<budget>: one interrupt, then the interrupt stays off while polls of up to `budget`
//   descriptors run; a poll that finds fewer ends it (napi_complete). A poll that finds none is
//   an empty poll.
// - poll:<burst>: a poll-mode driver: no interrupt at all, the core reads DD bits in bursts until
//   a poll finds the ring empty (counted as an empty poll). Nothing waits on the event loop.
//
// The hop is setImmediate, not a microtask: an interrupt is dispatched from outside the running
// code, and a macrotask is the nearest JavaScript analogue - libuv runs a loop iteration (timers,
// a poll of the OS for I/O, then the check phase) to reach the handler, and other stages may run
// in between, as other work shares a core with interrupts. A resolved-promise hop never leaves
// the current job and costs a few tens of nanoseconds, which would hide the notification cost.

import { performance } from 'node:perf_hooks';
import * as core from '@vnflab/core';
import type { ElementContext } from '@vnflab/core';
import type { Harvest, RxQueue } from './rx-queue';
import type { IrqMode } from './settings';
import { Ev } from './events';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { Cat, TIMER_COST_NS, processBilledNs } = core;

/** One real event-loop hop (a macrotask). */
export function hop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Delivers one interrupt: the hop to the handler and the interrupt entry, billed as `irq`. The
 * time other stages billed while this one waited for the loop is theirs and is subtracted.
 */
async function interrupt(ctx: ElementContext): Promise<void> {
  const t0 = performance.now();
  const others0 = processBilledNs();
  await hop();
  ctx.costs.spend('irq_entry', 1);
  ctx.stats.event(Ev.interrupt);
  const ns = (performance.now() - t0) * 1e6 - TIMER_COST_NS - (processBilledNs() - others0);
  if (ns > 0) ctx.stats.cpu.add(Cat.irq, ns);
}

/** One look at the ring by the driver, billed as packet I/O. */
function poll(rx: RxQueue, max: number, h: Harvest, ctx: ElementContext): number {
  const t0 = ctx.stats.cpu.begin();
  const got = rx.harvest(max, h);
  if (got === 0) ctx.stats.event(Ev.empty_poll);
  ctx.stats.cpu.end(Cat.packet_io, t0);
  return got;
}

export interface Notifier {
  readonly mode: IrqMode;
  /** Harvests what the transport put in the ring. Returns a promise when it waits on the loop. */
  run(rx: RxQueue, h: Harvest, ctx: ElementContext): void | Promise<void>;
}

export class PerPacketIrq implements Notifier {
  readonly mode = { kind: 'per-packet' } as const;

  async run(rx: RxQueue, h: Harvest, ctx: ElementContext): Promise<void> {
    for (let n = rx.completed; n > 0; n--) {
      await interrupt(ctx);
      poll(rx, 1, h, ctx);
    }
  }
}

export class NapiIrq implements Notifier {
  readonly mode: IrqMode;

  constructor(readonly budget: number) {
    this.mode = { kind: 'napi', budget };
  }

  async run(rx: RxQueue, h: Harvest, ctx: ElementContext): Promise<void> {
    if (rx.completed === 0) return;
    await interrupt(ctx);
    while (poll(rx, this.budget, h, ctx) === this.budget) {
      /* a full budget keeps NAPI scheduled: poll again with the interrupt still off */
    }
  }
}

export class PollMode implements Notifier {
  readonly mode: IrqMode;

  constructor(readonly burst: number) {
    this.mode = { kind: 'poll', burst };
  }

  run(rx: RxQueue, h: Harvest, ctx: ElementContext): void {
    while (poll(rx, this.burst, h, ctx) > 0) {
      /* busy poll until the ring is seen empty */
    }
  }
}

export function createNotifier(mode: IrqMode): Notifier {
  switch (mode.kind) {
    case 'per-packet':
      return new PerPacketIrq();
    case 'napi':
      return new NapiIrq(mode.budget);
    case 'poll':
      return new PollMode(mode.burst);
  }
}
