// The sending end of a Redis hop. A middle stage's producer is tied to its consumer: sending the
// output batch and acknowledging the input batch it came from are one atomic commit. At the
// bound, policy `block` waits for room (backpressure, counted as waits and wait time) and policy
// `drop` returns false so the caller counts the packets as bus_full.

import { performance } from 'node:perf_hooks';
import type { Redis as RedisClient } from 'ioredis';
import type { Batch } from '../batch/batch';
import { BatchEncoder } from '../batch/wire';
import { Cat } from '../cpu/categories';
import type { CpuMeter } from '../cpu/cpu-meter';
import { StatsLedger } from '../stats/stats-ledger';
import type { BusProducer, OverflowPolicy } from './bus';
import type { RedisBus } from './redis-bus';
import type { RedisConsumer } from './redis-consumer';
import { CommitStatus } from './redis-scripts';

/** Longest wait for a wake-up before trying again (seconds, as BLPOP takes it). */
const ROOM_WAIT_S = 0.05;

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
  /** Sends that found the hop full and waited (policy block). */
  waits = 0;
  waitNs = 0;
  /** Sends refused at the bound (policy drop). */
  refused = 0;
  private endDeclared = false;
  private readonly policy: OverflowPolicy;
  private readonly roomKey: string;
  private roomConn?: RedisClient;
  /** The last commit left the hop at its bound. */
  private full = false;
  private readonly encoder = new BatchEncoder();

  constructor(
    private readonly bus: RedisBus,
    readonly hop: string,
    private readonly opts: RedisProducerOptions,
  ) {
    this.stream = bus.streamKey(hop);
    this.group = opts.group ?? hop;
    this.ledger = opts.ledger ?? opts.acks?.ledger ?? new StatsLedger('', null);
    this.policy = opts.policy ?? bus.policy;
    this.roomKey = bus.roomKey(this.stream);
    if (opts.acks) opts.acks.tied = true;
  }

  async send(b: Batch): Promise<boolean> {
    const acks = this.opts.acks;
    const d = acks?.current ?? null;
    if (acks && (!d || d.settled)) throw new Error('RedisProducer.send: the tied consumer has no batch in hand');
    const cpu = this.opts.cpu;
    const t0 = cpu?.begin() ?? 0;
    const output = { stream: this.stream, group: this.group, bytes: this.encoder.encode(b) };
    cpu?.end(Cat.bus, t0);
    let waitedFrom = 0;
    if (this.full && this.policy === 'block') {
      // the last commit filled the hop: wait for an acknowledgement before sending the bytes
      waitedFrom = performance.now();
      this.waits++;
      await this.waitForRoom();
    }
    for (;;) {
      const { status, outputLength } = await this.bus.commit({
        input:
          d && acks
            ? { stream: acks.stream, group: acks.group, consumer: acks.name, ids: [d.id], epoch: d.epoch }
            : null,
        output,
        batchId: String(b.batchId),
        ledger: this.ledger,
        addProduced: b.count,
        addConsumed: d ? d.packets : 0,
        cpu: this.opts.cpu,
      });
      if (status === CommitStatus.Full) {
        if (this.policy === 'drop') {
          this.refused++;
          return false;
        }
        if (waitedFrom === 0) {
          waitedFrom = performance.now();
          this.waits++;
        }
        await this.waitForRoom();
        continue;
      }
      this.full = outputLength >= this.bus.bound;
      if (waitedFrom) this.waitNs += (performance.now() - waitedFrom) * 1e6;
      if (d) d.settled = true;
      if (status !== CommitStatus.Refused) this.opts.release?.(b);
      return true;
    }
  }

  /**
   * Waits for the next acknowledgement downstream (each leaves a token in the hop's room list)
   * with a blocking pop and a short timeout, so a lost wake-up costs one timeout: a wait for
   * room, not a modelled cost.
   */
  private async waitForRoom(): Promise<void> {
    this.roomConn ??= this.bus.blockingConnection(`room-${this.hop}`);
    await this.roomConn.blpop(this.roomKey, ROOM_WAIT_S);
  }

  /**
   * The generator's end of traffic: declared once, and again after every reconnection, since a
   * Redis restart without persistence forgets it. Other stages never end a hop: the end travels
   * from the generator through the hops (see ENDED_LUA), so a replica that leaves ends nothing —
   * except a loop chain's way back, whose one producer sets the hop's own flag (`endFlag`).
   */
  async end(): Promise<void> {
    const flag = this.opts.endFlag;
    if (flag === null || (this.opts.acks && flag === undefined) || this.endDeclared) return;
    this.endDeclared = true;
    await this.bus.declareEnd(flag);
    this.bus.onReconnect(() => this.bus.declareEnd(flag));
  }
}
