// The run summary of a chain run as services, from every instance's /stats: the same JSON as
// the embedded run (totals from the replicas of each stage summed), with one `stages[]` row per
// instance, and the packets the bus itself lost.
//
// Loss on the bus: each instance's ledger counts the packets it committed onto its output hop
// (`produced`) and took off its input hop (`consumed`, copies excluded), exactly, across its own
// restarts. What went onto a hop and never came off it was lost by the bus — a Redis that
// restarted without persistence forgets the batches it held — and is counted as
// drops[<stage the hop leads to>].bus_lost. (A copy that one replica took and another did not
// recognise shows as a deficit on its hop and a surplus on the next; it is carried downstream.)

import {
  LogHistogram,
  StageStats,
  histogramFromJson,
  mergeStats,
  reasonCode,
  statsFromJson,
  type Element,
  type ResolvedChain,
  type Source,
} from '@vnflab/core';
import { stageRow, summarize, type RunSummary, type SummaryStageInput } from '../summary';
import type { ServiceStatsJson } from './service-stats';

const BUS_LOST = reasonCode('bus_lost');

export interface InstanceResult {
  snap: ServiceStatsJson;
  restarts: number;
  /** Left the run on its own (drained on SIGTERM) before the end. */
  left: boolean;
}

export type ServicesSummary = Omit<RunSummary, 'stages'> & {
  mode: 'services';
  bus: { url: string; run: string; bound: number; policy: string; lost: Record<string, number> };
  restarts: Record<string, number>;
  stages: (RunSummary['stages'][number] & {
    instance: string;
    replica: number;
    restarts: number;
    left: boolean;
    bus: ServiceStatsJson['bus'];
  })[];
};

/** A stand-in element carrying what /stats reported, so summarize() reads it like a live one. */
function shim(
  stage: string,
  variant: string,
  details: Record<string, unknown> | null,
  e2e: LogHistogram | undefined,
  sent: number,
): Element & Source {
  return {
    stage,
    variant,
    sent,
    e2e,
    done: true,
    process: () => {},
    fill: () => 0,
    waitMs: () => 0,
    stop: () => {},
    describe: () => details ?? {},
  };
}

export function instanceInput(r: InstanceResult): SummaryStageInput {
  const s = r.snap;
  const e2e = s.e2e ? histogramFromJson(s.e2e) : undefined;
  return {
    name: s.service.instance,
    stage: s.service.stage,
    variant: s.service.variant,
    stats: statsFromJson(s.stats),
    element: shim(s.service.stage, s.service.variant, s.details, e2e, s.sent ?? 0),
  };
}

export function summarizeServices(
  chain: ResolvedChain,
  results: InstanceResult[],
  durationS: number,
  bus: { url: string; run: string },
): ServicesSummary {
  const byStage = chain.stages.map((_, i) => results.filter((r) => r.snap.service.index === i));
  byStage.forEach((rs, i) => {
    if (rs.length === 0) throw new Error(`no stats from stage ${chain.stages[i].name}`);
  });
  const lost: Record<string, number> = {};
  let carry = 0;
  const merged: SummaryStageInput[] = chain.stages.map((st, i) => {
    const rs = byStage[i];
    const stats = new StageStats(st.stage, rs[0].snap.service.variant, st.name);
    const e2e = new LogHistogram();
    let sent = 0;
    for (const r of rs) {
      mergeStats(stats, statsFromJson(r.snap.stats));
      if (r.snap.e2e) e2e.merge(histogramFromJson(r.snap.e2e));
      sent += r.snap.sent ?? 0;
    }
    if (i > 0) {
      const produced = byStage[i - 1].reduce((a, r) => a + r.snap.bus.produced, 0);
      const consumed = rs.reduce((a, r) => a + r.snap.bus.consumed, 0);
      const gap = produced - consumed + carry;
      carry = Math.min(0, gap);
      if (gap > 0) {
        lost[st.name] = gap;
        stats.drops[BUS_LOST] += gap;
      }
    }
    const details =
      rs.length === 1
        ? rs[0].snap.details
        : { replicas: rs.map((r) => ({ instance: r.snap.service.instance, ...r.snap.details })) };
    return {
      name: st.name,
      stage: st.stage,
      variant: stats.variant,
      stats,
      element: shim(
        st.stage,
        stats.variant,
        details,
        st === chain.stages[chain.stages.length - 1] ? e2e : undefined,
        sent,
      ),
    };
  });
  const cpu = results.reduce(
    (a, r) => ({
      user: a.user + r.snap.process.cpu_user_seconds * 1e6,
      system: a.system + r.snap.process.cpu_system_seconds * 1e6,
    }),
    { user: 0, system: 0 },
  );
  const base = summarize(chain.name, chain.profile, merged, durationS, cpu, chain.loop);
  const restarts: Record<string, number> = {};
  for (const r of results) if (r.restarts > 0) restarts[r.snap.service.instance] = r.restarts;
  return {
    ...base,
    mode: 'services',
    bus: { url: bus.url, run: bus.run, bound: chain.bus.bound, policy: chain.bus.policy, lost },
    restarts,
    stages: results
      .slice()
      .sort((a, b) => a.snap.service.index - b.snap.service.index || a.snap.service.replica - b.snap.service.replica)
      .map((r) => ({
        ...stageRow(instanceInput(r), r.snap.service.index === 0),
        instance: r.snap.service.instance,
        replica: r.snap.service.replica,
        restarts: r.restarts,
        left: r.left,
        bus: r.snap.bus,
        ...runQueue(r.snap),
      })),
  };
}

/** A stage process's run-queue waits, when its kernel keeps them (and its snapshot has them: an older image's may not). */
function runQueue(snap: ServiceStatsJson): Pick<RunSummary['stages'][number], 'run_queue'> {
  const p = snap.process;
  if (typeof p.runqueue_wait_seconds !== 'number' || typeof p.run_periods !== 'number') return {};
  return {
    run_queue: { wait_seconds: p.runqueue_wait_seconds, periods: p.run_periods, uptime_seconds: p.uptime_seconds },
  };
}
