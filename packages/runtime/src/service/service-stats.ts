// The JSON a stage service serves on /stats (and logs once more as its final line when it
// exits): its state, its counters as StageStatsJson, the element's own description, and what
// the bus did. `vnflab run --bus` builds its live table and summary from these.

import type { HistogramJson, StageStatsJson } from '@vnflab/core';

export type ServiceState = 'starting' | 'running' | 'draining' | 'finished' | 'failed';

export interface ServiceStatsJson {
  service: {
    chain: string;
    run: string;
    stage: string;
    name: string;
    instance: string;
    replica: number;
    index: number;
    variant: string;
    pid: number;
    state: ServiceState;
    ready: boolean;
    /** CLOCK_MONOTONIC ns when the stage started processing (0 before). */
    started_mono_ns: number;
    /** CLOCK_MONOTONIC ns when its input ended / the generator finished (0 before). */
    finished_mono_ns: number;
  };
  stats: StageStatsJson;
  /** element.describe() */
  details: Record<string, unknown> | null;
  /** End-to-end latency (the last stage), ns. */
  e2e: HistogramJson | null;
  /** Packets the generator sent (the first stage). */
  sent: number | null;
  bus: {
    kind: 'redis';
    url: string;
    connected: boolean;
    epoch: string;
    reconnects: number;
    /** Packets committed onto the output hop / taken off the input hop (survive restarts). */
    produced: number;
    consumed: number;
    in_hand: number;
    claimed_batches: number;
    malformed_entries: number;
    duplicate_batches: number;
    /** Sends that found the output hop full and waited (policy block), and how long in total. */
    full_waits: number;
    wait_seconds: number;
    /** Sends refused at the bound (policy drop; counted as bus_full drops). */
    full_refused: number;
  };
  process: {
    cpu_user_seconds: number;
    cpu_system_seconds: number;
    rss_bytes: number;
    /** What the process holds live: the JS heap in use, and memory outside it (Buffers). Resident
     * memory also counts heap V8 has committed and not given back, so it levels off high. */
    heap_used_bytes: number;
    external_bytes: number;
    uptime_seconds: number;
    /**
     * Time the process's event loop was ready and waited for a CPU other processes held, and the
     * times it got one, since it started (the kernel's run queue: run-queue.ts in core); null
     * where the kernel keeps no such statistics.
     */
    runqueue_wait_seconds: number | null;
    run_periods: number | null;
  };
}
