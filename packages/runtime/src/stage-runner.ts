// Hosts one element on the bus: receive a batch, process it, count drops by reason, hand the
// survivors downstream, then acknowledge the input (at-least-once). The same loop serves the
// embedded chain and the services; only the bus differs. In a loop chain a stage has two runners
// over its one element: the forward one (process) and the return one (processReturn), each with
// its own input, output and outbox.

import { performance } from 'node:perf_hooks';
import {
  Cat,
  DELIVERED,
  Reason,
  monoNs,
  UNTIMED_OTHER_HOST,
  processBilledNs,
  type Batch,
  type BusConsumer,
  type BusProducer,
  type Delivery,
  type Element,
  type ElementContext,
} from '@vnflab/core';
import type { OriginSender } from './origin-sender';
import type { RunnerOutbox } from './outbox';

export interface StageRunnerOptions {
  element: Element;
  ctx: ElementContext;
  input: BusConsumer;
  /** null for the last stage (backends): survivors are "received". */
  output: BusProducer | null;
  stageIndex: number;
  /** Called when the runner is done with a batch (embedded: back to the pool). */
  release?: (b: Batch) => void;
  /** CPU category for time the element did not bill itself. */
  defaultCategory?: number;
  /** `return`: a loop chain's way back, through element.processReturn (passed through without it). */
  direction?: 'forward' | 'return';
  /** Sends what the element originated through `ctx.out` (which must then be this runner's own outbox). */
  origin?: OriginSender;
  /** Ends the output instead of output.end() (a loop chain orders its ends; see embedded-chain.ts). */
  end?: () => Promise<void>;
  /**
   * Batches handed downstream and not yet settled that the runner goes on past (default 1: it
   * waits for each). On Redis more than one keeps the hop from being bound to a round trip per
   * batch: the bus commits what queued meanwhile together (packages/core/src/bus/commit-pipeline.ts).
   */
  inFlight?: number;
}

export class StageRunner {
  private stopping = false;
  private errors = 0;
  private running?: Promise<void>;
  private readonly o: StageRunnerOptions;

  /** Counts a removed packet (dropped, or delivered here); bound once, as compact() calls it for every batch. */
  private readonly countDrop: (reason: number) => void;
  private readonly outbox: RunnerOutbox | null;
  private readonly returning: boolean;
  private readonly settling = new Set<Promise<void>>();

  constructor(o: StageRunnerOptions) {
    this.o = o;
    const stats = o.ctx.stats;
    const delivered = DELIVERED; // read once: a package export is a getter (docs/architecture.md, "Hot-path imports")
    this.countDrop = (reason) => {
      if (reason === delivered) stats.delivered++;
      else stats.drop(reason);
    };
    this.outbox = o.origin ? (o.ctx.out as RunnerOutbox) : null;
    if (o.origin && !o.ctx.out) throw new Error("StageRunner: an origin sender needs ctx.out, the runner's outbox");
    this.returning = o.direction === 'return';
  }

  start(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stop after the input is drained (graceful): the upstream must end its stream. */
  stop(): void {
    this.stopping = true;
  }

  private async loop(): Promise<void> {
    const { input, output } = this.o;
    for (;;) {
      const d = await input.receive(200);
      if (!d) {
        if (input.ended || this.stopping) break;
        continue;
      }
      await this.handle(d);
    }
    while (this.settling.size > 0) await Promise.all(this.settling);
    if (this.o.end) await this.o.end();
    else if (output) await output.end();
  }

  async handle(d: Delivery): Promise<void> {
    const { element, ctx } = this.o;
    const stats = ctx.stats;
    const b = d.batch;
    const n = b.count;
    const t0 = performance.now();
    const now = monoNs();
    if (b.enqueueNs > 0) {
      if (b.enqueuedHere) stats.queueLatency.recordN(now - b.enqueueNs, n);
      else stats.event(UNTIMED_OTHER_HOST, n); // sent from another host: its clock is not ours
    }
    stats.packetsIn += n;
    stats.bytesIn += b.bytes();
    stats.batches++;
    stats.batchSize.record(n);
    stats.busPending = this.o.input.pending();

    const billedBefore = processBilledNs();
    try {
      const r = !this.returning
        ? element.process(b, ctx)
        : element.processReturn
          ? element.processReturn(b, ctx)
          : undefined;
      if (r) await r;
    } catch (e) {
      // a bug or an input the element did not foresee: the batch's packets are counted as
      // dropped with a reason, the stage keeps running and the accounting still closes
      for (let i = 0, c = b.count; i < c; i++) if (b.alive(i)) b.drop(i, Reason.element_error);
      if (this.errors++ % 1000 === 0)
        ctx.log.error(
          { err: (e as Error).message, stack: (e as Error).stack, stage: element.stage, errors: this.errors },
          'element failed on a batch; its packets are dropped as element_error',
        );
    }
    b.compact(this.countDrop);
    const out = b.count;
    stats.packetsOut += out;
    stats.bytesOut += b.bytes();
    const elapsedNs = (performance.now() - t0) * 1e6;
    stats.processLatency.recordN(elapsedNs, n);
    // what the element did not attribute itself (runtime work, its default category); time any
    // stage billed meanwhile is subtracted, as an element that awaited the event loop let other
    // stages run inside this window
    const unbilled = elapsedNs - (processBilledNs() - billedBefore);
    if (unbilled > 0) stats.cpu.add(this.o.defaultCategory ?? Cat.app, unbilled);
    // originated packets go out before the survivors: on Redis the survivors' commit acknowledges
    // the input, and a downstream stage may take its input for ended once nothing is pending here
    if (this.outbox?.used) await this.o.origin!.send(this.outbox);

    const settled = this.settle(d, b, out);
    if ((this.o.inFlight ?? 1) <= 1) return settled;
    this.settling.add(settled);
    void settled.finally(() => this.settling.delete(settled));
    if (this.settling.size >= this.o.inFlight!) await Promise.race(this.settling);
  }

  /** Hands the survivors downstream and acknowledges the input (on Redis, both in the same commit). */
  private async settle(d: Delivery, b: Batch, out: number): Promise<void> {
    const { ctx, output } = this.o;
    const stats = ctx.stats;
    if (output) {
      b.stageIndex = this.o.stageIndex;
      b.enqueueNs = monoNs();
      // a refusal is counted when the bus decides it, before anything queued behind this batch
      // commits (the bus then acknowledges the input itself); a bus that refuses at once
      // resolves false without calling it
      let counted = false;
      const refused = (reason: string): void => {
        counted = true;
        stats.drop(reason === 'bus_oom' ? Reason.bus_oom : Reason.bus_full, out);
        stats.packetsOut -= out;
      };
      const ok = out > 0 ? await output.send(b, refused) : true;
      if (!ok && !counted) refused(output.lastRefusal ?? 'bus_full');
      if (!ok || out === 0) this.o.release?.(b);
    } else {
      this.o.release?.(b);
    }
    await this.o.input.ack(d);
  }
}
