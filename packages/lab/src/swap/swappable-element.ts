// An element whose implementation can be replaced while the chain runs (the embedded form of a
// blue/green swap). The new element is built beside the old one; the switch happens between
// two batches — never while the old element still holds one — and the old element is closed.
// Packets that were waiting in the stage's input across the switch are counted as delayed.

import type { Batch, CustomMetricSpec, Element, ElementContext, LogHistogram } from '@vnflab/core';
import { monoNs } from '@vnflab/core';

export interface ElementSwapReport {
  from: string;
  to: string;
  /** Start of the swap (building the new element included) to the old element closed. */
  duration_ms: number;
  /** Building the new element (its rings, tables, pools): the "start and wait until ready" part. */
  create_ms: number;
  /** Waiting for the batch the old element held when the new one was ready. */
  drain_ms: number;
  /** Packets enqueued before the switch and processed after the swap began: they waited for it. */
  packets_delayed: number;
  /** The longest such wait in the stage's input, ms. */
  max_delay_ms: number;
}

interface PendingSwap {
  next: Element;
  t0: number;
  createMs: number;
  from: string;
  switched: (r: { drainMs: number }) => void;
}

export class SwappableElement implements Element {
  private cur: Element;
  private busy: Promise<void> | undefined;
  private pending: PendingSwap | null = null;
  // counting delayed packets after a switch, until a batch enqueued after it shows up
  private cutNs = 0;
  private delayed = 0;
  private maxDelayNs = 0;
  private watchDone: (() => void) | null = null;

  constructor(initial: Element) {
    this.cur = initial;
  }

  get stage(): string {
    return this.cur.stage;
  }

  get variant(): string {
    return this.cur.variant;
  }

  get e2e(): LogHistogram | undefined {
    return this.cur.e2e;
  }

  get current(): Element {
    return this.cur;
  }

  get swapping(): boolean {
    return this.pending !== null || this.watchDone !== null;
  }

  process(batch: Batch, ctx: ElementContext): void | Promise<void> {
    if (this.pending) this.switchNow();
    if (this.cutNs > 0) this.observe(batch);
    this.busy = undefined;
    const r = this.cur.process(batch, ctx);
    if (r) this.busy = r;
    return r;
  }

  configure(settings: Record<string, unknown>): void {
    if (!this.cur.configure) throw new Error(`${this.cur.stage} (${this.cur.variant}) has no run-time settings`);
    this.cur.configure(settings);
  }

  describe(): Record<string, unknown> {
    return this.cur.describe?.() ?? {};
  }

  metrics(): CustomMetricSpec[] {
    return this.cur.metrics?.() ?? [];
  }

  async close(): Promise<void> {
    await this.cur.close?.();
  }

  /**
   * Replaces the element with `create()`'s. Resolves once the old element is closed and the
   * packets that waited across the switch have been counted (or the input stayed idle).
   */
  async swap(create: () => Element, idleMs = 500): Promise<ElementSwapReport> {
    if (this.swapping) throw new Error(`a swap of ${this.cur.stage} is already in progress`);
    const t0 = performance.now();
    const next = create();
    const createMs = performance.now() - t0;
    const from = this.cur.variant;
    const old = this.cur;
    const switched = new Promise<{ drainMs: number }>((resolve) => {
      this.pending = { next, t0, createMs, from, switched: resolve };
    });
    // the runner calls process() only after the previous batch settled: once `busy` settles
    // (or at once when idle) no batch is in the old element's hands
    if (this.busy) await this.busy.catch(() => undefined);
    if (this.pending?.next === next) this.switchNow();
    const { drainMs } = await switched;
    await old.close?.();
    const duration = performance.now() - t0;
    // FIFO input: once a batch enqueued after the switch arrives, none from before can follow
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.stopWatching(), idleMs);
      this.watchDone = () => {
        clearTimeout(timer);
        resolve();
      };
      if (this.cutNs === 0) this.stopWatching();
    });
    return {
      from,
      to: next.variant,
      duration_ms: duration,
      create_ms: createMs,
      drain_ms: drainMs,
      packets_delayed: this.delayed,
      max_delay_ms: this.maxDelayNs / 1e6,
    };
  }

  private switchNow(): void {
    const p = this.pending!;
    this.pending = null;
    this.cur = p.next;
    this.cutNs = monoNs();
    this.delayed = 0;
    this.maxDelayNs = 0;
    p.switched({ drainMs: performance.now() - p.t0 - p.createMs });
  }

  private observe(b: Batch): void {
    if (b.enqueueNs >= this.cutNs) {
      this.stopWatching();
      return;
    }
    // enqueued before the switch, processed after it: it waited for the swap
    this.delayed += b.count;
    const wait = monoNs() - b.enqueueNs;
    if (wait > this.maxDelayNs) this.maxDelayNs = wait;
  }

  private stopWatching(): void {
    this.cutNs = 0;
    const done = this.watchDone;
    this.watchDone = null;
    done?.();
  }
}
