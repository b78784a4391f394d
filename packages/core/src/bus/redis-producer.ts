// The sending end of a Redis hop. A middle stage's producer is tied to its consumer: sending the
// output batch and acknowledging the input batch it came from are one atomic commit. Sends queue
// in a CommitPipeline (commit-pipeline.ts), which keeps them in flight and commits what queued
// meanwhile in one script call, and which owns the bound: policy `block` waits for room
// (backpressure, counted as waits and wait time), policy `drop` refuses so the packets are
// counted as bus_full; out of memory, `drop` refuses at once and `block` waits for
// OOM_PATIENCE_MS per episode, then refuses (bus_oom, `lastRefusal`) until an add succeeds again.

import type { Batch } from '../batch/batch';
import { BatchEncoder } from '../batch/wire';
import { Cat } from '../cpu/categories';
import type { CpuMeter } from '../cpu/cpu-meter';
import { StatsLedger } from '../stats/stats-ledger';
import type { BusProducer, BusRefusal, OverflowPolicy } from './bus';
import { CommitPipeline, MAX_GROUP } from './commit-pipeline';
import type { RedisBus } from './redis-bus';
import type { RedisConsumer } from './redis-consumer';

export { OOM_PATIENCE_MS } from './commit-pipeline';

export interface RedisProducerOptions {
  /** Consumer group of the downstream stage (default: the hop name). */
  group?: string;
  /** The consumer whose batch in hand each send forwards and acknowledges in one step. */
  acks?: RedisConsumer;
  /** Committed accounting of this instance (shared with `acks`). */
  ledger?: StatsLedger;
  cpu?: CpuMeter;
  /** Called with a batch once Redis holds a copy (the generator reuses its buffers). */
  release?: (b: Batch) => void;
  policy?: OverflowPolicy;
  /**
   * What end() declares: by default the generator's end, and nothing for a producer tied to a
   * consumer; a key (RedisBus.endKey) for a hop with one producer that ends it (a loop chain's
   * way back); null for nothing.
   */
  endFlag?: string | null;
}

export class RedisProducer implements BusProducer {
  readonly stream: string;
  readonly group: string;
  readonly ledger: StatsLedger;
  /** The commits in flight: the tied consumer's (its acknowledgements queue there too) or its own. */
  readonly commits: CommitPipeline;
  private endDeclared = false;
  /** Wire buffers, each back here once its commit is settled. */
  private readonly encoder = new BatchEncoder(2 * MAX_GROUP);

  constructor(
    private readonly bus: RedisBus,
    readonly hop: string,
    private readonly opts: RedisProducerOptions,
  ) {
    this.stream = bus.streamKey(hop);
    this.group = opts.group ?? hop;
    const policy = opts.policy ?? bus.policy;
    if (opts.acks) {
      opts.acks.tied = true;
      this.commits = opts.acks.commits;
    } else {
      this.commits = new CommitPipeline(bus, opts.ledger ?? new StatsLedger('', null), opts.cpu);
    }
    this.ledger = this.commits.ledger;
    this.commits.output = { stream: this.stream, group: this.group, policy, roomKey: bus.roomKey(this.stream) };
  }

  /** Sends that found the hop full and waited (policy block). */
  get waits(): number {
    return this.commits.waits;
  }
  get waitNs(): number {
    return this.commits.waitNs;
  }
  /** Sends refused at the bound (policy drop). */
  get refused(): number {
    return this.commits.refused;
  }
  /** Sends refused because Redis was out of memory (counted as bus_oom by the caller). */
  get oomRefused(): number {
    return this.commits.oomRefused;
  }
  /** Out-of-memory answers from Redis (each trims what it can; see COMMIT_LUA). */
  get oomAnswers(): number {
    return this.commits.oomAnswers;
  }
  get lastRefusal(): BusRefusal {
    return this.commits.lastRefusal;
  }

  /**
   * Queues the batch for the next commit (with the tied consumer's batch in hand, which that
   * commit acknowledges) and resolves once it is committed, or false when refused. The batch is
   * copied into its wire form first, so the caller may go on with the next one meanwhile.
   * @param refused counts a refusal at once (see commit-pipeline.ts): the input is then
   *   acknowledged by the pipeline and the caller must not count or acknowledge it again
   */
  send(b: Batch, refused?: (reason: BusRefusal) => void): Promise<boolean> {
    const acks = this.opts.acks;
    const d = acks?.current ?? null;
    if (acks && (!d || d.settled)) throw new Error('RedisProducer.send: the tied consumer has no batch in hand');
    const cpu = this.opts.cpu;
    const t0 = cpu?.begin() ?? 0;
    const bytes = this.encoder.encode(b);
    cpu?.end(Cat.bus, t0);
    const release = this.opts.release;
    // settled (committed, refused or given up): the pipeline holds the bytes no longer
    return this.commits
      .push({ input: d, batchId: String(b.batchId), bytes, produced: b.count, share: this.ledger.take(), refused })
      .then((ok) => {
        this.encoder.give(bytes);
        if (ok) release?.(b);
        return ok;
      });
  }

  /**
   * The generator's end of traffic: declared once, and again after every reconnection, since a
   * Redis restart without persistence forgets it. Other stages never end a hop: the end travels
   * from the generator through the hops (see ENDED_LUA), so a replica that leaves ends nothing —
   * except a loop chain's way back, whose one producer sets the hop's own flag (`endFlag`).
   * Whatever is still queued is committed first.
   */
  async end(): Promise<void> {
    await this.commits.idle();
    const flag = this.opts.endFlag;
    if (flag === null || (this.opts.acks && flag === undefined) || this.endDeclared) return;
    this.endDeclared = true;
    await this.bus.declareEnd(flag);
    this.bus.onReconnect(() => this.bus.declareEnd(flag));
  }
}
