// The element API (Click element / VPP node style): one mechanism, one file. An element takes a
// batch, works on it in place and gives each packet a verdict: forwarded (left alive) or dropped
// with a reason (batch.drop(i, code)). It never knows whether it runs embedded or as a service.

import type { Batch } from './batch/batch';
import type { Costs } from './cpu/cost-profile';
import type { CustomMetricSpec } from './metrics/stage-metrics';
import type { StageStats } from './stats/stage-stats';
import type { LogHistogram } from './stats/histogram';
import type { Logger } from './logger';

export interface ElementContext {
  /** Counters, events and the CPU meter of this stage instance. */
  readonly stats: StageStats;
  /** Modelled costs (cost profile), spent as CPU. */
  readonly costs: Costs;
  readonly log: Logger;
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
  /** True when the count, duration or capture is exhausted. */
  readonly done: boolean;
  /** Stops early (Ctrl-C). */
  stop(): void;
  readonly sent: number;
  describe?(): Record<string, unknown>;
}
