// Calls an element's tick() every tickIntervalMs while its stage runs (TCP retransmission,
// delayed ACK, TIME_WAIT), billing the time like process(): what the element did not bill itself
// goes to its default category. Packets the tick originates go out through the stage's
// OriginSender. A tick that comes while the previous one is still sending is skipped, not queued.

import { performance } from 'node:perf_hooks';
import { Cat, monoNs, processBilledNs, type Element, type ElementContext } from '@vnflab/core';
import type { OriginSender } from './origin-sender';
import type { RunnerOutbox } from './outbox';

export class ElementTicker {
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  /** Ticks run, and ticks skipped because the previous one was still sending. */
  ticks = 0;
  skipped = 0;
  private errors = 0;

  /** @param ctx the stage's context with this ticker's own outbox as `out` */
  constructor(
    private readonly element: Element,
    private readonly ctx: ElementContext & { out: RunnerOutbox },
    private readonly origin: OriginSender,
    private readonly defaultCategory = Cat.app,
  ) {}

  start(): void {
    const ms = this.element.tickIntervalMs;
    if (!this.element.tick || this.timer) return;
    if (!(typeof ms === 'number' && ms > 0 && Number.isFinite(ms)))
      throw new Error(`${this.element.stage}: tickIntervalMs must be a positive number of milliseconds, got ${ms}`);
    this.timer = setInterval(() => this.fire(), ms);
  }

  private fire(): void {
    if (this.busy) {
      this.skipped++;
      return;
    }
    const { element, ctx } = this;
    const stats = ctx.stats;
    this.ticks++;
    const t0 = performance.now();
    const billedBefore = processBilledNs();
    try {
      element.tick!(monoNs(), ctx);
    } catch (e) {
      // a bug in the element's timers: logged (sparingly), the stage keeps running
      if (this.errors++ % 1000 === 0)
        ctx.log.error({ err: (e as Error).message, stage: element.stage, errors: this.errors }, 'element tick failed');
    }
    const unbilled = (performance.now() - t0) * 1e6 - (processBilledNs() - billedBefore);
    if (unbilled > 0) stats.cpu.add(this.defaultCategory, unbilled);
    if (!ctx.out.used) return;
    this.busy = this.origin
      .send(ctx.out)
      .catch((e: Error) =>
        ctx.log.error({ err: e.message, stage: element.stage }, 'sending what a tick originated failed'),
      )
      .finally(() => (this.busy = undefined));
  }

  /** No more ticks; resolves once what the last one originated has been sent. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
  }
}
