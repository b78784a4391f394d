// Paces the traffic generator for a set-rate trial in whole batches: a token bucket that may
// hold a few batches' worth, so one timer tick (about 1 ms in Node) can send several batches
// and rates far above one batch per tick are reachable. The generator itself runs unlimited
// inside it. Tokens that overflow the bucket — the chain (which shares this thread) held the
// generator back longer than the burst covers — are packets the schedule lost: `not sent`.

import type { Batch, ElementContext, Source } from '@vnflab/core';

export class PacedSource implements Source {
  private tokens = 0;
  private lastNs = -1;

  /**
   * @param inner a generator with no rate limit of its own
   * @param rate packets per second
   * @param batch packets per batch (the pool's batch capacity)
   * @param burstBatches how many batches the bucket holds
   */
  constructor(
    private readonly inner: Source,
    readonly rate: number,
    private readonly batch: number,
    readonly burstBatches = 4,
  ) {
    if (!(rate > 0)) throw new RangeError('PacedSource needs a rate above 0');
  }

  get stage(): string {
    return this.inner.stage;
  }

  get variant(): string {
    return this.inner.variant;
  }

  get done(): boolean {
    return this.inner.done;
  }

  get sent(): number {
    return this.inner.sent;
  }

  /** Packets the bucket can be ahead of or behind the schedule without loss. */
  get slack(): number {
    return this.burstBatches * this.batch;
  }

  stop(): void {
    this.inner.stop();
  }

  describe(): Record<string, unknown> {
    return { ...(this.inner.describe?.() ?? {}), paced_rate_pps: this.rate, burst_batches: this.burstBatches };
  }

  private refill(nowNs: number): void {
    if (this.lastNs < 0) this.lastNs = nowNs;
    this.tokens = Math.min(this.burstBatches * this.batch, this.tokens + ((nowNs - this.lastNs) * this.rate) / 1e9);
    this.lastNs = nowNs;
  }

  waitMs(nowNs: number): number {
    this.refill(nowNs);
    const missing = this.batch - this.tokens;
    return missing <= 0 ? 0 : (missing / this.rate) * 1e3;
  }

  fill(b: Batch, nowNs: number, ctx: ElementContext): number {
    this.refill(nowNs);
    if (this.tokens < this.batch) return 0;
    const n = this.inner.fill(b, nowNs, ctx);
    this.tokens -= n;
    return n;
  }
}
