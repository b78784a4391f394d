// The run summary (the JSON of `--json`, documented in the README): what was sent, received and
// dropped where and why, latency percentiles, and per-stage counts and CPU by category. The
// accounting check: every packet that came into being (the source's `sent` and every stage's
// `originated`) ends as delivered somewhere, dropped with a reason, or (open chains) received by
// the last stage. A loop chain's `received` is what came back to the source.

import { CATEGORIES, GROUPS, LogHistogram, type Element, type Source, type StageStats } from '@vnflab/core';

export interface SummaryStageInput {
  name: string;
  stage: string;
  variant: string;
  stats: StageStats;
  element: Element | Source;
}

function q(h: LogHistogram): { p50: number; p90: number; p99: number; max: number } {
  return { p50: h.quantile(0.5) / 1e9, p90: h.quantile(0.9) / 1e9, p99: h.quantile(0.99) / 1e9, max: h.max / 1e9 };
}

export interface RunSummary {
  chain: string;
  profile: string;
  duration_s: number;
  sent: number;
  /**
   * With a rate: what the generator's schedule offered, and what of it fell too far behind to be
   * sent (offered = sent + not_sent), so "zero drops" never hides a shortfall.
   */
  offered?: number;
  not_sent?: number;
  /** Of not_sent, the packets the generator lost to its own lateness (its timers, its CPU), not to the chain. */
  not_sent_late?: number;
  received: number;
  duplicates: number;
  drops: Record<string, Record<string, number>>;
  drops_total: number;
  accounting_closed: boolean;
  /** Loop chains: packets the stages originated and packets delivered (terminated), in total. */
  loop?: boolean;
  originated?: number;
  delivered?: number;
  throughput_pps: number;
  latency_seconds: { p50: number; p90: number; p99: number; max: number };
  cpu_share: Record<string, number>;
  stages: {
    name: string;
    stage: string;
    variant: string;
    packets_in: number;
    packets_out: number;
    bytes_in: number;
    bytes_out: number;
    drops: Record<string, number>;
    cpu_seconds: Record<string, number>;
    cpu_ns_per_packet: number;
    events: Record<string, number>;
    /** Present when non-zero (loop chains, elements that terminate or create packets). */
    originated?: number;
    delivered?: number;
    latency_seconds: { queue: ReturnType<typeof q>; process: ReturnType<typeof q> };
    details?: Record<string, unknown>;
    /**
     * Services: the stage process's waits for a CPU since it started (the kernel's run queue), the
     * times it got one, and how long it had been up; absent embedded and where the kernel keeps none.
     */
    run_queue?: { wait_seconds: number; periods: number; uptime_seconds: number };
  }[];
  process_cpu_seconds: { user: number; system: number };
  /**
   * Embedded: how long the chain's process was ready to run and waited for a CPU during the run
   * (the kernel's run queue), and the times it got one. Other work on the machine held the cores
   * meanwhile; absent where the kernel keeps no such statistics.
   */
  run_queue?: { wait_seconds: number; periods: number };
}

/** The source's offered and not-sent packets, from its describe() (summed over replicas), when it has a rate. */
function shortfall(source: Source): { offered: number; not_sent: number; not_sent_late?: number } | undefined {
  const d = source.describe?.() ?? {};
  const each = Array.isArray(d.replicas) ? (d.replicas as Record<string, unknown>[]) : [d];
  let offered = 0;
  let notSent = 0;
  let late: number | undefined;
  for (const r of each) {
    if (typeof r.offered !== 'number' || typeof r.not_sent !== 'number') return undefined;
    offered += r.offered;
    notSent += r.not_sent;
    if (typeof r.not_sent_late === 'number') late = (late ?? 0) + r.not_sent_late;
  }
  return { offered, not_sent: notSent, ...(late !== undefined ? { not_sent_late: late } : {}) };
}

/** Reasons that are not losses: a duplicate is a redelivered copy of a packet already counted. */
const NOT_A_LOSS = new Set(['duplicate']);

export function summarize(
  chain: string,
  profile: string,
  stages: SummaryStageInput[],
  durationS: number,
  cpuUsage = process.cpuUsage(),
  loop = false,
): RunSummary {
  const source = stages[0].element as Source;
  const sink = stages[stages.length - 1];
  const e2e = (sink.element as Element).e2e ?? new LogHistogram();
  const drops: RunSummary['drops'] = {};
  let dropsTotal = 0;
  let duplicates = 0;
  let originated = 0;
  let delivered = 0;
  const cpuAll = new Float64Array(CATEGORIES.length);
  for (const s of stages) {
    const d = s.stats.dropsByReason();
    for (const [r, n] of Object.entries(d)) {
      if (NOT_A_LOSS.has(r)) {
        duplicates += n;
        delete d[r];
      } else dropsTotal += n;
    }
    if (Object.keys(d).length) drops[s.name] = d;
    originated += s.stats.originated;
    delivered += s.stats.delivered;
    // the lab's own generator and sink are outside the system under test; a loop chain's last
    // stage is the server that answers, inside it
    if (s !== stages[0] && (loop || s !== sink)) for (let i = 0; i < cpuAll.length; i++) cpuAll[i] += s.stats.cpu.ns[i];
  }
  // a loop chain's survivors come back to the source, where they are delivered
  const received = loop ? stages[0].stats.delivered : sink.stats.packetsOut;
  const ended = delivered + dropsTotal + (loop ? 0 : received);
  const totalCpu = cpuAll.reduce((a, b) => a + b, 0);
  const share: Record<string, number> = {};
  for (const [g, cats] of Object.entries(GROUPS)) {
    share[g] = totalCpu > 0 ? cats.reduce((a, c) => a + cpuAll[CATEGORIES.indexOf(c)], 0) / totalCpu : 0;
  }
  const both = loop || originated > 0 || delivered > 0 ? { loop, originated, delivered } : {};
  return {
    chain,
    profile,
    duration_s: durationS,
    sent: source.sent,
    ...shortfall(source),
    received,
    duplicates,
    drops,
    drops_total: dropsTotal,
    accounting_closed: source.sent + originated === ended,
    ...both,
    throughput_pps: durationS > 0 ? received / durationS : 0,
    latency_seconds: q(e2e),
    cpu_share: share,
    stages: stages.map((s) => stageRow(s, s === stages[0])),
    process_cpu_seconds: { user: cpuUsage.user / 1e6, system: cpuUsage.system / 1e6 },
  };
}

/** One row of `stages[]`; `isSource` counts CPU per packet sent rather than received. */
export function stageRow(s: SummaryStageInput, isSource: boolean): RunSummary['stages'][number] {
  return {
    name: s.name,
    stage: s.stage,
    variant: s.variant,
    packets_in: s.stats.packetsIn,
    packets_out: s.stats.packetsOut,
    bytes_in: s.stats.bytesIn,
    bytes_out: s.stats.bytesOut,
    drops: s.stats.dropsByReason(),
    cpu_seconds: s.stats.cpu.snapshot(),
    cpu_ns_per_packet: s.stats.cpu.totalNs() / Math.max(1, isSource ? s.stats.packetsOut : s.stats.packetsIn),
    events: s.stats.eventsByName(),
    ...(s.stats.originated > 0 ? { originated: s.stats.originated } : {}),
    ...(s.stats.delivered > 0 ? { delivered: s.stats.delivered } : {}),
    latency_seconds: { queue: q(s.stats.queueLatency), process: q(s.stats.processLatency) },
    details: s.element.describe?.(),
  };
}
