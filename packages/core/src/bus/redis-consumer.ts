// The receiving end of a Redis hop: one consumer of the downstream stage's consumer group.
// Reads with XREADGROUP (COUNT, BLOCK, or a timer of its own for waits shorter than Redis's
// tick); on start it first takes back its own pending batches (a restarted instance keeps its
// name), and every claimIdleMs/2 it takes over batches another
// consumer left pending longer than claimIdleMs (XAUTOCLAIM), while a heartbeat keeps the
// batches in its own hand from looking abandoned. A batch is acknowledged only by the commit
// that forwards it (see redis-producer.ts) or, at the last stage, after it was processed: there
// one commit acknowledges everything one read delivered, once the last of it is processed.

import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis as RedisClient } from 'ioredis';
import type { Batch } from '../batch/batch';
import { decodeBatch } from '../batch/wire';
import type { BatchPool } from '../batch/pool';
import { Cat } from '../cpu/categories';
import type { CpuMeter } from '../cpu/cpu-meter';
import { reasonCode } from '../reasons';
import { StatsLedger } from '../stats/stats-ledger';
import type { BatchDedup } from './batch-dedup';
import type { BusConsumer, Delivery } from './bus';
import { CommitPipeline } from './commit-pipeline';
import type { RedisBus } from './redis-bus';

const DUPLICATE = reasonCode('duplicate');

export interface RedisDelivery extends Delivery {
  /** The Redis epoch the entry was read in (see redis-bus.ts). */
  readonly epoch: string;
  /** Packets in the batch as received (what the ledger counts as consumed; 0 for a copy). */
  readonly packets: number;
  /** Committed (forwarded and acknowledged) or given up to another consumer. */
  settled: boolean;
}

export interface RedisConsumerOptions {
  ledger?: StatsLedger;
  cpu?: CpuMeter;
  /** Hops from the generator's output to this input, with their groups: the end condition. */
  endHops?: { hop: string; group: string }[];
  /** The flag that says the producers ended (default: the generator's end; see RedisBus.endKey). */
  endFlag?: string;
  /**
   * Marks a batch seen before as duplicates (see batch-dedup.ts). Copies are not counted as
   * consumed, so what went onto a hop and never came off it is exactly what the bus lost.
   */
  dedup?: BatchDedup;
  log?: { warn(o: object, msg: string): void };
  /** Read ahead (see receive()); off by default, so a read happens when the stage asks for one. */
  readAhead?: boolean;
  /**
   * Batches are decoded into this pool's (when they fit); the stage gives each back once it is
   * settled (StageRunner's and RedisProducer's `release`). Without one, each read allocates.
   */
  pool?: BatchPool;
}

type Entry = [Buffer, Buffer[] | null];

/**
 * Bytes of pooled batches a consumer decodes into at most (RedisConsumerOptions.pool). A pooled
 * batch has room for a full batch of the largest frames; past this a read allocates batches of
 * the packets' own size, so a large prefetch of large batches cannot hold that room for each.
 */
export const DECODE_POOL_BYTES = 16 * 2 ** 20;

export class RedisConsumer implements BusConsumer {
  readonly stream: string;
  readonly ledger: StatsLedger;
  /** The delivery the stage is processing now (receive() hands it out, a commit settles it). */
  current: RedisDelivery | null = null;
  /** A producer forwards and acknowledges this consumer's batches (a middle stage). */
  tied = false;
  /** Where this consumer's acknowledgements queue; a tied producer's forwards queue here too. */
  readonly commits: CommitPipeline;
  /** A read started while the stage works on what the previous one delivered (read-ahead). */
  private reading: Promise<void> | null = null;
  /** Batches taken over from other consumers. */
  claimed = 0;
  /** Entries that were not a valid batch: acknowledged and dropped, logged. */
  malformed = 0;
  /** Batches the dedup window recognised as copies. */
  duplicateBatches = 0;
  private readonly queue: RedisDelivery[] = [];
  /** Processed at a last stage, acknowledged together when the read they came in is done. */
  private readonly done: RedisDelivery[] = [];
  private readonly conn: RedisClient;
  private readonly endHops: { stream: string; group: string }[];
  private ownPendingRead = false;
  /**
   * Where the read of this consumer's own pending entries goes on from: the last one it took.
   * Reading from '0' each time would hand out again the entries still in hand (read ahead, or
   * in a commit in flight), which are pending until their commit.
   */
  private pendingFrom = '0';
  private lastClaim = 0;
  private claimCursor = '0-0';
  private isEnded = false;
  private stopped = false;
  private backlog = 0;
  private lastBacklogCheck = 0;
  private readonly heartbeat: NodeJS.Timeout;
  private heartbeatBusy = false;

  /** Read the next batches while the stage works on the last of a read (see receive()). */
  readAhead: boolean;

  constructor(
    private readonly bus: RedisBus,
    readonly hop: string,
    readonly group: string,
    readonly name: string,
    private readonly opts: RedisConsumerOptions,
  ) {
    this.readAhead = opts.readAhead ?? false;
    this.stream = bus.streamKey(hop);
    this.ledger = opts.ledger ?? new StatsLedger('', null);
    this.commits = new CommitPipeline(bus, this.ledger, opts.cpu);
    this.commits.input = { stream: this.stream, group, consumer: name };
    this.conn = bus.blockingConnection(name);
    this.endHops = (opts.endHops ?? [{ hop, group }]).map((h) => ({ stream: bus.streamKey(h.hop), group: h.group }));
    this.heartbeat = setInterval(() => void this.beat(), Math.max(50, bus.claimIdleMs / 3));
    this.heartbeat.unref();
  }

  get ended(): boolean {
    return this.isEnded;
  }

  /** Batches waiting for this stage: in its hand plus what its group has not yet acknowledged. */
  pending(): number {
    const now = performance.now();
    if (now - this.lastBacklogCheck > 1000) {
      this.lastBacklogCheck = now;
      void this.checkBacklog();
    }
    return this.queue.length + this.backlog;
  }

  /** Batches delivered to this consumer and not yet settled. */
  inHand(): number {
    return this.unsettled().length;
  }

  private unsettled(): RedisDelivery[] {
    const out = [...this.done, ...this.queue];
    for (const x of this.commits.held()) if (!out.includes(x as RedisDelivery)) out.push(x as RedisDelivery);
    if (this.current && !this.current.settled && !out.includes(this.current)) out.push(this.current);
    return out;
  }

  /** Stops reading new batches; receive() still hands out those already delivered (drain). */
  stop(): void {
    this.stopped = true;
  }

  async receive(timeoutMs: number): Promise<Delivery | null> {
    this.current = null;
    if (this.reading) await this.reading;
    if (this.queue.length === 0 && !this.isEnded && !this.stopped) {
      if (!this.bus.epochOf(this.stream)) {
        await this.bus.whenReady();
        await this.bus.hopEpoch(this.stream);
      }
      await this.fill(timeoutMs);
      if (this.queue.length === 0 && !this.stopped && (await this.bus.ended(this.endHops, this.opts.endFlag)))
        this.isEnded = true;
    }
    const d = this.queue.shift() ?? null;
    this.current = d;
    // read ahead: the next read is on its way while the stage works on this batch (its entries
    // are pending for this consumer from then on, kept alive by the heartbeat)
    if (d && this.queue.length === 0 && !this.stopped && this.readAhead) {
      this.reading = this.fill(this.bus.blockMs).finally(() => (this.reading = null));
    }
    return d;
  }

  /**
   * Acknowledges a batch that goes nowhere. At a last stage it waits until the rest of its read
   * is processed too (or a read's worth is done), and one commit acknowledges them all. A middle
   * stage queues it behind the forwards it made before (its tied producer's commits), so the
   * ledger that counts it is never written before its acknowledgement.
   */
  async ack(d: Delivery): Promise<void> {
    const rd = d as RedisDelivery;
    if (rd.settled) return;
    if (this.tied) {
      await this.commits.push({ input: rd, bytes: null, produced: 0, share: this.ledger.take() });
      return;
    }
    this.done.push(rd);
    if (this.queue.length > 0 && this.done.length < this.bus.prefetch) return;
    const done = this.done.splice(0);
    const share = this.ledger.take();
    // the batches' counts are in one share: the group commits as one (one epoch: see headGroup)
    const last = done.length - 1;
    const joint = {};
    await Promise.all(
      done.map((x, i) =>
        this.commits.push({
          input: x,
          bytes: null,
          produced: 0,
          share: i === last ? share : new Float64Array(share.length),
          joint,
        }),
      ),
    );
  }

  /** One read: own pending batches first (after a restart), then take-overs, then new batches. */
  private async fill(timeoutMs: number): Promise<void> {
    const n = this.bus.prefetch;
    try {
      if (!this.ownPendingRead) {
        const entries = await this.read(this.bus.cmd, [
          'XREADGROUP',
          'GROUP',
          this.group,
          this.name,
          'COUNT',
          n,
          'STREAMS',
          this.stream,
          this.pendingFrom,
        ]);
        if (entries > 0) return;
        this.ownPendingRead = true;
      }
      const now = performance.now();
      if (now - this.lastClaim >= this.bus.claimIdleMs / 2) {
        this.lastClaim = now;
        if ((await this.claim()) > 0) return;
      }
      const block = Math.max(1, Math.min(timeoutMs, this.bus.blockMs));
      // Redis ends a BLOCK only on its timer tick (100 ms at hz 10): a paced source waiting 5 ms
      // for its returns overslept its tokens. A shorter wait reads once and waits on a timer here
      const short = block < this.bus.blockTickMs;
      const args = ['XREADGROUP', 'GROUP', this.group, this.name, 'COUNT', n];
      if (!short) args.push('BLOCK', block);
      args.push('STREAMS', this.stream, '>');
      if ((await this.read(this.conn, args)) === 0 && short) await delay(block);
    } catch (e) {
      const msg = (e as Error).message;
      if (msg.includes('NOGROUP')) {
        // the stream or its group does not exist yet (first start, or Redis restarted empty)
        await this.bus.createGroup(this.stream, this.group).catch((err: Error) => {
          this.opts.log?.warn({ err: err.message }, 'cannot create the consumer group yet; retrying');
          return delay(100);
        });
        return;
      }
      this.opts.log?.warn({ err: msg }, 'bus read failed; retrying');
      await delay(100);
    }
  }

  /** One XREADGROUP; returns the entries it read (malformed ones included). */
  private async read(conn: RedisClient, args: (string | number)[]): Promise<number> {
    const cpu = this.opts.cpu;
    const t0 = cpu?.begin() ?? 0;
    const p = conn.callBuffer(...(args as [string, ...(string | number)[]])) as Promise<[Buffer, Entry[]][] | null>;
    cpu?.end(Cat.bus, t0);
    const reply = await p;
    if (!reply || reply.length === 0) return 0;
    const entries = reply[0][1];
    if (entries.length === 0) return 0;
    if (!this.ownPendingRead) this.pendingFrom = entries[entries.length - 1][0].toString();
    await this.take(entries);
    return entries.length;
  }

  private async claim(): Promise<number> {
    const r = (await this.bus.cmd.callBuffer(
      'XAUTOCLAIM',
      this.stream,
      this.group,
      this.name,
      this.bus.claimIdleMs,
      this.claimCursor,
      'COUNT',
      this.bus.prefetch,
    )) as [Buffer, Entry[], Buffer[]];
    this.claimCursor = r[0].toString();
    const known = new Set(this.unsettled().map((d) => d.id));
    if (this.current) known.add(this.current.id);
    const fresh = r[1].filter((e) => !known.has(e[0].toString()));
    const n = await this.take(fresh);
    if (n > 0) {
      this.claimed += n;
      this.opts.log?.warn({ batches: n }, 'took over batches another consumer left pending');
    }
    return n;
  }

  /** Decodes entries into deliveries; a malformed entry is acknowledged, counted and logged. */
  private async take(entries: Entry[]): Promise<number> {
    const cpu = this.opts.cpu;
    const t0 = cpu?.begin() ?? 0;
    let n = 0;
    const bad: string[] = [];
    const pool = this.opts.pool;
    for (const [idBuf, fields] of entries) {
      const id = idBuf.toString();
      let batch: Batch | null = null;
      let why = 'entry has no batch field';
      if (fields) {
        for (let i = 0; i + 1 < fields.length; i += 2) {
          if (fields[i].length !== 1 || fields[i][0] !== 0x62 /* 'b' */) continue;
          try {
            const pooled = pool && (pool.available > 0 || (pool.allocated + 1) * pool.bytesEach <= DECODE_POOL_BYTES);
            batch = decodeBatch(fields[i + 1], pooled ? pool : undefined);
          } catch (e) {
            why = (e as Error).message;
          }
        }
      }
      if (!batch) {
        bad.push(id);
        this.opts.log?.warn(
          { id, stream: this.stream, reason: why },
          'malformed entry on the bus: acknowledged and dropped (not a batch, so no packets are counted)',
        );
        continue;
      }
      let packets = batch.count;
      if (this.opts.dedup?.seen(batch.batchId)) {
        for (let i = 0; i < packets; i++) batch.drop(i, DUPLICATE);
        this.duplicateBatches++;
        packets = 0;
      }
      this.queue.push({ id, batch, epoch: this.bus.epochOf(this.stream), packets, settled: false });
      n++;
    }
    cpu?.end(Cat.bus, t0);
    if (bad.length) {
      this.malformed += bad.length;
      await this.bus.cmd.xack(this.stream, this.group, ...bad);
    }
    return n;
  }

  /** Resets the idle time of batches in hand (see HEARTBEAT_LUA). */
  private async beat(): Promise<void> {
    if (this.heartbeatBusy) return;
    const ids = this.unsettled().map((d) => d.id);
    if (ids.length === 0 || !this.bus.connected) return;
    this.heartbeatBusy = true;
    try {
      await this.bus.heartbeat(this.stream, this.group, this.name, ids);
    } catch {
      /* the next beat retries; a missed beat at worst lets another consumer take a batch over */
    } finally {
      this.heartbeatBusy = false;
    }
  }

  private async checkBacklog(): Promise<void> {
    try {
      const groups = (await this.bus.cmd.xinfo('GROUPS', this.stream)) as (string | number)[][];
      for (const g of groups) {
        const m = new Map<string, string | number>();
        for (let i = 0; i + 1 < g.length; i += 2) m.set(String(g[i]), g[i + 1]);
        if (m.get('name') === this.group) this.backlog = Number(m.get('lag') ?? 0) + Number(m.get('pending') ?? 0);
      }
    } catch {
      /* no stream yet */
    }
  }

  /** Stops the heartbeat and closes the read connection (the bus closes the rest). */
  close(): void {
    clearInterval(this.heartbeat);
  }
}
