// The element API (Click element / VPP node style): one mechanism, one file. An element takes a
// batch, works on it in place and gives each packet a verdict: forwarded (left alive) or dropped
// with a reason (batch.drop(i, code)). It never knows whether it runs embedded or as a service.

import type { Batch } from './batch/batch';
import type { Costs } from './cpu/cost-profile';
import type { CustomMetricSpec } from './metrics/stage-metrics';
import type { StageStats } from './stats/stage-stats';
import type { LogHistogram } from './stats/histogram';
import type { Logger } from './logger';

/**
 * Where an element puts packets it originates (a TCP endpoint's ACK or retransmission, an
 * application's answer). Each call returns a batch with at least one free slot (a fresh pool
 * batch when the current one is full); the element `append`s its packets to it. After
 * process/processReturn/tick returns, the runner counts them as `originated` at this stage and
 * sends them: forward ones downstream, back ones toward the source (a loop chain only).
 */
export interface Outbox {
  /** Packets going on in the chain's direction (to the next stage). Throws at the last stage. */
  forward(): Batch;
  /** Packets going back toward the source. Throws in an open chain. */
  back(): Batch;
}

export interface ElementContext {
  /** Counters, events and the CPU meter of this stage instance. */
  readonly stats: StageStats;
  /** Modelled costs (cost profile), spent as CPU. */
  readonly costs: Costs;
  readonly log: Logger;
  /**
   * Packets this element originates. Every runner of the runtime sets it (one per runner, so a
   * forward and a return pass never share a batch); a context built by hand in a unit test may
   * leave it out.
   */
  readonly out?: Outbox;
}

export interface Element {
  /** The stage this element implements (traffic-gen, nic, kernel-path, lb, backends). */
  readonly stage: string;
  /** Which variant (mode, algorithm) it runs now; every metric carries it. */
  readonly variant: string;
  /**
   * Processes one batch in place. Returning a promise is allowed where the mechanism itself
   * waits on the event loop (per-packet notifications, interrupt moderation timers).
   */
  process(batch: Batch, ctx: ElementContext): void | Promise<void>;
  /**
   * A loop chain's batch travelling back toward the source, processed in place with the same
   * verdicts (alive, drop, deliver). Without it, a middle stage passes return batches through.
   */
  processReturn?(batch: Batch, ctx: ElementContext): void | Promise<void>;
  /**
   * Timers (retransmission, delayed ACK, TIME_WAIT): called every `tickIntervalMs` while the stage
   * runs, its time billed like process(). Packets it originates go through `ctx.out`.
   */
  tick?(nowNs: number, ctx: ElementContext): void;
  tickIntervalMs?: number;
  /** Run-time settings change (control API); throws with a clear message on bad settings. */
  configure?(settings: Record<string, unknown>): void;
  /** JSON-able element state for /stats and summaries. */
  describe?(): Record<string, unknown>;
  /** Element-specific Prometheus metrics. */
  metrics?(): CustomMetricSpec[];
  close?(): void | Promise<void>;
  /** End-to-end latency in ns, for the stage that terminates the chain. */
  readonly e2e?: LogHistogram;
}

/** A source fills batches (the traffic generator). */
export interface Source {
  readonly stage: string;
  readonly variant: string;
  /**
   * Fills `batch` with up to its capacity; returns how many packets it added. `nowNs` is the
   * CLOCK_MONOTONIC time of the fill. Returns 0 when rate-limited (see waitMs) or finished.
   */
  fill(batch: Batch, nowNs: number, ctx: ElementContext): number;
  /** Milliseconds until the next packet is due (rate limiting), 0 when one is due now. */
  waitMs(nowNs: number): number;
  /**
   * True when the count, duration or capture is exhausted (in a loop chain: when the source has
   * nothing left, its requests answered or given up).
   */
  readonly done: boolean;
  /** Stops early (Ctrl-C). */
  stop(): void;
  readonly sent: number;
  /**
   * The runner waited `ns` on the source's output (the chain's backpressure, the bus's send) since
   * it last said so: a paced source counts what it then could not send as held back by the chain,
   * and the rest of its shortfall as its own lateness.
   */
  held?(ns: number): void;
  /**
   * Continues a run an earlier instance of this source began (a restarted service): `sentBefore`
   * packets were sent; the count goes on from there and new packets must not look like copies of
   * earlier ones; `state` is what the earlier source's sequenceState() gave, when it was taken at
   * exactly `sentBefore`. Called before the first fill.
   */
  resume?(sentBefore: number, state?: Uint8Array): void;
  /**
   * What a successor needs to continue exactly where this source stopped (the generator: each
   * flow's next sequence number), handed over by the service host; undefined: nothing.
   */
  sequenceState?(): Uint8Array | undefined;
  /**
   * A loop chain's packets that came back to the source. Every packet still alive afterwards
   * counts as `delivered` at the source; the source may drop or deliver them itself.
   */
  receive?(batch: Batch, nowNs: number, ctx: ElementContext): void;
  describe?(): Record<string, unknown>;
}
