// Drives a Source (the traffic generator): take a batch from the pool, fill it, hand it to the
// first hop. Waits for the token bucket with a timer (pacing, not a cost) and yields to the
// event loop every few milliseconds so timers, the metrics server and Ctrl-C stay responsive.
// In a loop chain it also takes what came back (the return input): a batch arriving wakes it from
// the token bucket's wait, the source receives it, and what is still alive is delivered here.
// When the source is done it ends the first hop and takes returns until that input ends.

import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop, setTimeout as delay } from 'node:timers/promises';
import {
  Cat,
  DELIVERED,
  Reason,
  monoNs,
  UNTIMED_OTHER_HOST,
  type Batch,
  type BatchPool,
  type BusConsumer,
  type BusProducer,
  type Delivery,
  type ElementContext,
  type Source,
} from '@vnflab/core';

export class SourceRunner {
  private nextBatchId: number;
  /** A loop chain's way back into the source (set with takeReturns). */
  private returns: BusConsumer | null = null;
  private releaseReturn?: (b: Batch) => void;
  private readonly countRemoved: (reason: number) => void;
  /** Sends not yet settled that the source goes on past (see inFlight()). */
  private window = 1;
  private readonly sending = new Set<Promise<void>>();
  /** Whether the source's end ends its output (the run's end); see leaveOpen. */
  private endsOutput = true;

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
    const stats = ctx.stats;
    const delivered = DELIVERED; // read once: a package export is a getter (docs/architecture.md, "Hot-path imports")
    this.countRemoved = (reason) => {
      if (reason === delivered) stats.delivered++;
      else stats.drop(reason);
    };
  }

  /**
   * Makes this a loop chain's source: batches on `input` come back to it.
   * @param release gives a batch back once the source is done with it (embedded: to the pool)
   */
  takeReturns(input: BusConsumer, release?: (b: Batch) => void): this {
    this.returns = input;
    this.releaseReturn = release;
    return this;
  }

  /**
   * Lets up to `n` batches be on their way at once (default 1: each send is awaited). On Redis
   * the bus commits what queued meanwhile together (packages/core/src/bus/commit-pipeline.ts).
   */
  inFlight(n: number): this {
    this.window = Math.max(1, n);
    return this;
  }

  /**
   * When the source stops, leave its output open: the run goes on without this source (a
   * generator service stopped by SIGTERM, which a new one replaces), so the stages keep running.
   */
  leaveOpen(): void {
    this.endsOutput = false;
  }

  /** Whether the source's end ended its output (false: left open, see leaveOpen). */
  get endedOutput(): boolean {
    return this.endsOutput;
  }

  async run(): Promise<void> {
    const { source, ctx, pool, output } = this;
    const returns = this.returns;
    const stats = ctx.stats;
    let lastYield = performance.now();
    for (;;) {
      // responses first: they may be what lets the source send again. But a source that is done
      // stops taking them here, even while they keep coming (a middle stage's timer may send
      // some back for as long as the run lasts): what is still on its way is taken after the end
      if (returns && returns.pending() > 0) {
        const d = await returns.receive(1);
        if (d) {
          await this.takeBack(d);
          // batches going round the loop on the memory bus never wait on a timer: let timers run
          if (performance.now() - lastYield > 5) {
            await yieldToLoop();
            lastYield = performance.now();
          }
          if (!source.done) continue;
        }
      }
      if (source.done) break;
      const now = monoNs();
      const wait = source.waitMs(now);
      if (wait > 0) {
        // sleep through long gaps in short steps so stop() is noticed; a loop chain's source
        // sleeps on its return input, so a batch coming back wakes it
        const step = Math.min(Math.max(wait, 0.05), 50);
        if (returns) {
          // a batch coming back may wake it before the timer: then it has not yielded
          const d = await returns.receive(Math.max(1, Math.round(step)));
          if (d) await this.takeBack(d);
          if (performance.now() - lastYield > 5) {
            await yieldToLoop();
            lastYield = performance.now();
          }
        } else {
          await delay(step);
          lastYield = performance.now();
        }
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
      if (alive === 0) pool.put(b);
      else {
        const sent = output.send(b).then((ok) => {
          if (ok) return;
          stats.drop(output.lastRefusal === 'bus_oom' ? Reason.bus_oom : Reason.bus_full, alive);
          pool.put(b);
        });
        const w0 = monoNs();
        if (this.window <= 1) await sent;
        else {
          this.sending.add(sent);
          void sent.finally(() => this.sending.delete(sent));
          if (this.sending.size >= this.window) await Promise.race(this.sending);
        }
        source.held?.(monoNs() - w0);
      }
      if (performance.now() - lastYield > 5) {
        await yieldToLoop();
        lastYield = performance.now();
      }
    }
    while (this.sending.size > 0) await Promise.all(this.sending);
    if (!this.endsOutput) return; // a loop's answers still on their way stay pending for the next source
    await output.end();
    if (!returns) return;
    // the end travels down the chain and back: take everything still coming until it arrives
    for (;;) {
      const d = await returns.receive(200);
      if (d) await this.takeBack(d);
      else if (returns.ended) break;
    }
  }

  /** A batch that came back: the source receives it; what it leaves alive is delivered here. */
  private async takeBack(d: Delivery): Promise<void> {
    const { source, ctx } = this;
    const stats = ctx.stats;
    const b = d.batch;
    const n = b.count;
    const now = monoNs();
    if (b.enqueueNs > 0) {
      if (b.enqueuedHere) stats.queueLatency.recordN(now - b.enqueueNs, n);
      else stats.event(UNTIMED_OTHER_HOST, n); // sent from another host: its clock is not ours
    }
    stats.packetsIn += n;
    stats.bytesIn += b.bytes();
    if (source.receive) {
      const t0 = stats.cpu.begin();
      try {
        source.receive(b, now, ctx);
      } catch (e) {
        // counted like an element's failure: the batch's packets are dropped, the run goes on
        for (let i = 0, c = b.count; i < c; i++) if (b.alive(i)) b.drop(i, Reason.element_error);
        ctx.log.error({ err: (e as Error).message, stage: source.stage }, 'source failed on a returned batch');
      }
      stats.cpu.end(Cat.app, t0);
    }
    b.compact(this.countRemoved);
    stats.delivered += b.count;
    this.releaseReturn?.(b);
    await this.returns!.ack(d);
  }
}
