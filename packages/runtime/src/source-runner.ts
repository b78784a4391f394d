// Drives a Source (the traffic generator): take a batch from the pool, fill it, hand it to the
// first hop. Waits for the token bucket with a timer (pacing, not a cost) and yields to the
// event loop every few milliseconds so timers, the metrics server and Ctrl-C stay responsive.

import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop, setTimeout as delay } from 'node:timers/promises';
import { Cat, Reason, monoNs, type BatchPool, type BusProducer, type ElementContext, type Source } from '@vnflab/core';

export class SourceRunner {
  private nextBatchId: number;

  /**
   * @param firstBatchId where batch ids start; a service gives each start its own range, so a
   *   restarted generator's batches are never taken for copies of earlier ones
   */
  constructor(
    private readonly source: Source,
    private readonly ctx: ElementContext,
    private readonly pool: BatchPool,
    private readonly output: BusProducer,
    private readonly chainId = 0,
    firstBatchId = 1,
  ) {
    this.nextBatchId = firstBatchId;
  }

  async run(): Promise<void> {
    const { source, ctx, pool, output } = this;
    const stats = ctx.stats;
    let lastYield = performance.now();
    while (!source.done) {
      const now = monoNs();
      const wait = source.waitMs(now);
      if (wait > 0) {
        // sleep through long gaps in short steps so stop() is noticed
        await delay(Math.min(Math.max(wait, 0.05), 50));
        lastYield = performance.now();
        continue;
      }
      const b = pool.get();
      const t0 = stats.cpu.begin();
      const n = source.fill(b, monoNs(), ctx);
      stats.cpu.end(Cat.app, t0);
      if (n === 0) {
        pool.put(b);
        await yieldToLoop();
        lastYield = performance.now();
        continue;
      }
      stats.packetsOut += n;
      stats.bytesOut += b.bytes();
      stats.batches++;
      stats.batchSize.record(n);
      b.compact((reason) => stats.drop(reason)); // e.g. oversize records of a replayed capture
      b.chainId = this.chainId;
      b.batchId = this.nextBatchId++;
      b.stageIndex = 0;
      b.createdNs = now;
      b.enqueueNs = monoNs();
      const alive = b.count;
      if (alive === 0 || !(await output.send(b))) {
        if (alive > 0) stats.drop(output.lastRefusal === 'bus_oom' ? Reason.bus_oom : Reason.bus_full, alive);
        pool.put(b);
      }
      if (performance.now() - lastYield > 5) {
        await yieldToLoop();
        lastYield = performance.now();
      }
    }
    await output.end();
  }
}
