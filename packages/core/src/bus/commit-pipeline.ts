// Commits kept in flight: the batches one stage instance hands to Redis (forwards, and
// acknowledgements of inputs that forward nothing) queue here in the order the stage settled
// them, and one script call at a time commits as many of them as have queued (COMMIT_LUA takes a
// group). So a stage is not bound to one round trip per batch: while a commit is in flight the
// stage reads and processes the next batches, and they go together in the next call.
//
// Exact counts: each batch carries its share of the counters (StatsLedger.take() when it is
// queued) and a commit stores the committed counters plus the shares of exactly the batches it
// settles, so a stage killed at any point restarts from counts that match what Redis
// acknowledged. At-least-once: a batch's input is acknowledged in the same call that forwards it,
// never before (on a Redis Cluster with the two hops in different slots, in a second script right
// after it: RedisBus.commit).
//
// At the bound: policy `block` waits for room (an acknowledgement downstream leaves a token in
// the hop's room list) and counts the wait; policy `drop` refuses. Out of memory: `drop` refuses
// at once, `block` waits as at the bound but only OOM_PATIENCE_MS per episode, then refuses until
// an add succeeds again. A refused batch is counted by its sender: at once through the `refused`
// callback it was queued with (it then stays in its place as an acknowledgement only, so nothing
// queued behind it commits first), or when its send() resolves false.

import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis as RedisClient } from 'ioredis';
import type { StatsLedger } from '../stats/stats-ledger';
import type { CpuMeter } from '../cpu/cpu-meter';
import type { BusRefusal, OverflowPolicy } from './bus';
import type { RedisBus } from './redis-bus';
import { CommitStatus } from './redis-scripts';

/** Longest wait for a wake-up before trying again (seconds, as BLPOP takes it). */
const ROOM_WAIT_S = 0.05;
/** Longest backpressure on out-of-memory answers before batches are dropped as bus_oom. */
export const OOM_PATIENCE_MS = 1000;
/** Batches per script call at most: a call's bytes pass through Lua and block Redis meanwhile. */
export const MAX_GROUP = 8;

/** An input entry in hand, as the consumer handed it out. */
export interface HeldInput {
  readonly id: string;
  readonly epoch: string;
  readonly packets: number;
  settled: boolean;
}

export interface QueuedBatch {
  /** The input entry it came from, or null (the generator, an originated batch). */
  input: HeldInput | null;
  /** With no input: the batch id, which makes a resent commit recognisable. */
  batchId?: string;
  /** Wire form going downstream (a copy of its own); null: an acknowledgement only. */
  bytes: Buffer | null;
  /** Packets it puts on the output. */
  produced: number;
  /** Its share of the counters (StatsLedger.take()). */
  share: Float64Array;
  /** Counts a refusal at once (see the file comment). */
  refused?: (reason: BusRefusal) => void;
  /**
   * Batches acknowledged together whose counts are all in the last one's share (a last stage's
   * read): they are refused together too, or the share would count the refused batch.
   */
  joint?: object;
}

interface Queued extends QueuedBatch {
  resolve: (ok: boolean) => void;
  reject: (e: Error) => void;
  refusedAs: BusRefusal | null;
  waitedFrom: number;
}

export class CommitPipeline {
  /** Where the batches with bytes go (set by the one producer that uses this pipeline). */
  output: { stream: string; group: string; policy: OverflowPolicy; roomKey: string } | null = null;
  /** Where the inputs are acknowledged (set by the consumer). */
  input: { stream: string; group: string; consumer: string } | null = null;
  /** Commits that found the hop full and waited (policy block). */
  waits = 0;
  waitNs = 0;
  /** Batches refused at the bound (policy drop). */
  refused = 0;
  /** Batches refused because Redis was out of memory. */
  oomRefused = 0;
  /** Out-of-memory answers from Redis (each trims what it can; see COMMIT_LUA). */
  oomAnswers = 0;
  lastRefusal: BusRefusal = 'bus_full';
  /** Script calls made, and batches they settled (batches per call = how much was in flight). */
  calls = 0;
  settledBatches = 0;
  private readonly queue: Queued[] = [];
  private running: Promise<void> | null = null;
  private oomSince = 0;
  /** The last commit left the hop at its bound. */
  private full = false;
  private roomConn?: RedisClient;

  constructor(
    private readonly bus: RedisBus,
    readonly ledger: StatsLedger,
    private readonly cpu?: CpuMeter,
  ) {}

  /** Batches queued or in the commit in flight. */
  get size(): number {
    return this.queue.length;
  }

  /**
   * Queues a batch behind everything queued before (synchronously, so the order is the order of
   * the calls). Resolves true once it is committed (or given up to another consumer), false
   * when it was refused.
   */
  push(b: QueuedBatch): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ ...b, resolve, reject, refusedAs: null, waitedFrom: 0 });
      this.running ??= this.run();
    });
  }

  /** Input entries queued and not yet settled (still in the stage's hand). */
  held(): HeldInput[] {
    const out: HeldInput[] = [];
    for (const b of this.queue) if (b.input && !b.input.settled) out.push(b.input);
    return out;
  }

  /** Resolves once nothing is queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.commitHead();
    } catch (e) {
      // the bus was closed under it (a commit is otherwise tried until it goes through): what is
      // queued was not committed, and Redis keeps its inputs pending for a later consumer
      for (const b of this.queue.splice(0)) b.reject(e as Error);
    } finally {
      this.running = null;
    }
  }

  /** The queue's head group: batches of one kind (adding or not) read in one epoch. */
  private headGroup(): Queued[] {
    const q = this.queue;
    const adds = q[0].bytes !== null;
    const epoch = q[0].input?.epoch ?? null;
    let n = 1;
    while (n < q.length && n < MAX_GROUP && (q[n].bytes !== null) === adds && (q[n].input?.epoch ?? null) === epoch)
      n++;
    return q.slice(0, n);
  }

  private async commitHead(): Promise<void> {
    const group = this.headGroup();
    const out = group[0].bytes !== null ? this.output : null;
    if (group[0].bytes !== null && !out) throw new Error('CommitPipeline: a batch to forward, and no output');
    const block = out?.policy !== 'drop';
    if (out && this.full && block) {
      // the last commit filled the hop: wait for an acknowledgement before sending the bytes
      this.startWait(group[0]);
      await this.waitForRoom(out.roomKey);
    }
    const ledger = this.ledger;
    const withLedger = ledger.key !== '';
    let produced = ledger.produced;
    let consumed = ledger.consumed;
    // the counters once each batch is done: the committed ones plus the shares up to it
    const v = withLedger ? ledger.after([]) : null;
    const items = group.map((b) => {
      produced += b.bytes ? b.produced : 0;
      consumed += b.input ? b.input.packets : 0;
      if (v) for (let i = 0; i < b.share.length; i++) v[i] += b.share[i];
      return {
        id: b.input ? b.input.id : (b.batchId ?? ''),
        bytes: b.bytes,
        value: v ? ledger.valueOf(v, produced, consumed) : '',
      };
    });
    const head = group[0].input;
    this.calls++;
    const r = await this.bus.commit({
      input: head && this.input ? { ...this.input, epoch: head.epoch } : null,
      output: out ? { stream: out.stream, group: out.group } : null,
      ledgerKey: ledger.key,
      items,
      cpu: this.cpu,
    });
    const done = group.slice(0, r.done);
    if (done.length > 0) {
      let addProduced = 0;
      let addConsumed = 0;
      for (const b of done) {
        addProduced += b.bytes ? b.produced : 0;
        addConsumed += b.input ? b.input.packets : 0;
      }
      ledger.committedAt(ledger.after(done.map((b) => b.share)), addProduced, addConsumed);
      this.queue.splice(0, done.length);
      this.settledBatches += done.length;
      const now = performance.now();
      for (const b of done) {
        if (b.input) b.input.settled = true;
        if (b.waitedFrom) this.waitNs += (now - b.waitedFrom) * 1e6;
        b.resolve(b.refusedAs === null);
      }
      if (out) {
        this.oomSince = 0;
        this.full = r.outputLength >= this.bus.bound;
      }
    }
    const rest = group.slice(r.done);
    if (rest.length === 0) return;
    switch (r.status) {
      case CommitStatus.Refused: {
        // another consumer owns this batch's input now: it is that consumer's to count; the
        // batches behind it are still this one's (their inputs are checked again next call),
        // but for those sharing its counts (see QueuedBatch.joint)
        const joint = rest[0].joint;
        let k = 1;
        while (joint && k < this.queue.length && this.queue[k].joint === joint) k++;
        for (const b of this.queue.splice(0, k)) {
          ledger.forget(b.share);
          if (b.input) b.input.settled = true;
          b.resolve(true);
        }
        return;
      }
      case CommitStatus.Full:
        if (!block) return this.refuse(rest, 'bus_full');
        this.startWait(rest[0]);
        return this.waitForRoom(out!.roomKey);
      case CommitStatus.OutOfMemory: {
        this.oomAnswers++;
        const now = performance.now();
        if (this.oomSince === 0) this.oomSince = now;
        if (!block || now - this.oomSince >= OOM_PATIENCE_MS) return this.refuse(rest, 'bus_oom');
        this.startWait(rest[0]);
        return this.waitForRoom(out!.roomKey);
      }
      default:
        // a prefix short of the group without a reason: try the rest again
        return;
    }
  }

  private startWait(b: Queued): void {
    if (b.waitedFrom) return;
    b.waitedFrom = performance.now();
    this.waits++;
  }

  /**
   * Refuses the batches a full or out-of-memory hop would not take. One queued with a `refused`
   * callback is counted at once and stays in its place as an acknowledgement only; one without
   * leaves the queue and its send() resolves false (its sender counts it and acknowledges).
   */
  private refuse(rest: Queued[], reason: BusRefusal): void {
    this.lastRefusal = reason;
    const now = performance.now();
    for (const b of rest) {
      if (reason === 'bus_oom') this.oomRefused++;
      else this.refused++;
      if (b.waitedFrom) {
        this.waitNs += (now - b.waitedFrom) * 1e6;
        b.waitedFrom = 0;
      }
      if (b.refused) {
        const before = this.ledger.counters();
        b.refused(reason);
        const d = this.ledger.counters();
        for (let i = 0; i < d.length; i++) d[i] -= before[i];
        // the refusal's counts join the batch's share (which may be shorter: see take())
        const share = new Float64Array(Math.max(b.share.length, d.length));
        share.set(b.share);
        for (let i = 0; i < d.length; i++) share[i] += d[i];
        b.share = share;
        this.ledger.addToTaken(d);
        b.bytes = null;
        b.produced = 0;
        b.refusedAs = reason;
      } else {
        this.queue.splice(this.queue.indexOf(b), 1);
        this.ledger.giveBack(b.share);
        b.resolve(false);
      }
    }
  }

  /**
   * Waits for the next acknowledgement downstream (each leaves a token in the hop's room list)
   * with a blocking pop and a short timeout, so a lost wake-up costs one timeout: a wait for
   * room, not a modelled cost.
   */
  private async waitForRoom(roomKey: string): Promise<void> {
    this.roomConn ??= this.bus.blockingConnection(`room-${this.output?.stream ?? ''}`);
    try {
      await this.roomConn.blpop(roomKey, ROOM_WAIT_S);
    } catch (e) {
      // Redis away: the commit that follows waits through the reconnection
      if (this.bus.isClosed) throw e;
      await delay(ROOM_WAIT_S * 1000);
    }
  }
}
