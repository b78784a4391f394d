// ctx.out for one runner (core's Outbox): batches an element fills with packets it originates,
// taken from the pool as they fill up. The runner hands them to the stage's OriginSender after
// the element returns. One per runner (forward, return, ticker), so two passes of one element
// that overlap on the event loop never write into the same batch.

import type { Batch, BatchPool, Outbox } from '@vnflab/core';

export class RunnerOutbox implements Outbox {
  /** Batches filled on the chain's way (downstream) and back toward the source, in order. */
  readonly forwardBatches: Batch[] = [];
  readonly backBatches: Batch[] = [];

  /**
   * @param canForward the stage has a next stage
   * @param canBack the chain is a loop and the stage has a way back (not the source)
   * @param where the stage's name, for the error an impossible direction throws
   */
  constructor(
    private readonly pool: BatchPool,
    private readonly canForward: boolean,
    private readonly canBack: boolean,
    private readonly where: string,
  ) {}

  /** True when the element put something here since the last hand-over (checked once per batch). */
  get used(): boolean {
    return this.forwardBatches.length > 0 || this.backBatches.length > 0;
  }

  forward(): Batch {
    if (!this.canForward)
      throw new Error(`${this.where}: ctx.out.forward(): nothing follows this stage (a source emits through fill())`);
    return this.current(this.forwardBatches);
  }

  back(): Batch {
    if (!this.canBack)
      throw new Error(
        `${this.where}: ctx.out.back(): packets go back only in a loop chain (loop: true), and not from its source`,
      );
    return this.current(this.backBatches);
  }

  private current(list: Batch[]): Batch {
    const last = list.length > 0 ? list[list.length - 1] : undefined;
    if (last && !last.full) return last;
    const b = this.pool.get();
    list.push(b);
    return b;
  }
}
