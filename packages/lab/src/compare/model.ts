// What a comparison measures and reports (report.json; report.md and report.html render it).
// Embedded and compose mode fill the same structure.

export type FrameSize = number | 'imix';

export interface LatencySummary {
  /** Seconds; quantiles at the histogram's resolution (about 6 % embedded, Prometheus buckets in compose). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  count: number;
  /** The CDF: [latency seconds, fraction of packets at or below it], ascending. */
  cdf: [number, number][];
}

export interface CpuWindow {
  /** The stage under comparison: CPU seconds by category (packet_io, vm_exit, irq, ...). */
  stage_seconds: Record<string, number>;
  /** The stage's CPU per packet it took in, without the lab's transport (the `bus` category). */
  stage_ns_per_packet: number;
  /** The lab's transport (the hop from the previous stage) per packet, apart from the stage's own. */
  bus_ns_per_packet: number;
  /** The stage's CPU by group (mTCP's packet_io, kernel_without_tcpip, tcpip, application; apart: lab_transport, host), fractions. */
  stage_share: Record<string, number>;
  /** Every stage between the generator and the backends, by category and by group. */
  chain_seconds: Record<string, number>;
  chain_share: Record<string, number>;
  /** Every stage under test by name: its CPU per packet it took in, without the lab's transport. */
  stages_ns_per_packet: Record<string, number>;
}

export interface NdrTrial {
  rate_pps: number;
  sent: number;
  received: number;
  drops: number;
  /** Packets due at the rate that the generator could not send (the chain held it back). */
  not_sent: number;
  /** The trial's p99 end-to-end latency (seconds) on the packets received; null when none was. */
  p99_s: number | null;
  passed: boolean;
  /** Why it failed: each criterion it missed, e.g. "lost 12 of 10000", "p99 35.2 ms > 10 ms". */
  failed?: string[];
}

export interface NdrOutcome {
  /** Highest offered rate with no loss found (0 if none passed). */
  rate_pps: number;
  /** The chain's packets/s with no rate limit: the search's upper bound. */
  max_pps: number;
  resolution: number;
  /** PDR: the fraction of offered packets a trial may lose (null: loss was no criterion, only latency). Absent: NDR, none. */
  loss_tolerance?: number | null;
  /** --max-latency: the p99 end-to-end latency a trial had to stay under, seconds. */
  max_latency_s?: number;
  trials: NdrTrial[];
}

export interface CompareResult {
  variant: string;
  size: FrameSize;
  /** Offered rate in packets/s; 0 = as fast as the chain takes. */
  rate_pps: number;
  window_s: number;
  sent: number;
  received: number;
  offered_pps: number;
  /** Packets/s delivered to the backends in the window. */
  packets_per_second: number;
  drops: Record<string, Record<string, number>>;
  drops_total: number;
  /** At a set rate: packets due that the generator could not send because the chain held it back (beyond the pacing's slack). */
  not_sent: number;
  cpu: CpuWindow;
  /** Events of the stage under comparison per packet it took in. */
  events_per_packet: Record<string, number>;
  /** End-to-end latency from the probes. */
  latency_seconds: LatencySummary;
  ndr?: NdrOutcome;
  /** With --repeat N > 1: the figures above are medians of N trials; their spread and every trial. */
  repeat?: RepeatOutcome;
}

export interface FigureSpread {
  median: number;
  min: number;
  max: number;
}

export interface RepeatOutcome {
  n: number;
  /** By figure name (packets_per_second, latency_seconds.p99, cpu.stage_ns_per_packet, ...). */
  spread: Record<string, FigureSpread>;
  /** Every trial, whole, in the order run. */
  trials: CompareResult[];
}

export interface SwapNote {
  variant: string;
  duration_ms: number | null;
  unchanged: boolean;
}

export interface CompareReport {
  kind: 'vnflab-compare';
  version: 1;
  mode: 'embedded' | 'compose';
  created_at: string;
  chain: string;
  profile: string;
  stage: string;
  variants: string[];
  sizes: FrameSize[];
  settings: {
    /** null when --ndr searched the rate; compose: the generator container's own rate, null when its /stats did not say. */
    rate_pps: number | null;
    ndr: {
      resolution: number;
      max_iterations: number;
      /** --pdr's ratio (null: --max-latency alone, loss no criterion); absent for NDR. */
      loss_tolerance?: number | null;
      max_latency_s?: number;
    } | null;
    warmup_s: number;
    duration_s: number;
    batch_size: number;
    /** Trials per variant and size (--repeat). */
    repeat: number;
  };
  results: CompareResult[];
  /** Compose mode: the controller's swaps before each variant's window. */
  swaps?: SwapNote[];
}
