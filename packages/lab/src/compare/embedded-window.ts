// A measurement window over a running embedded chain: copies of every counter at the window's
// start and end, and the differences as a CompareResult. The chain keeps running meanwhile;
// reading counters is a copy of a few small arrays, no pause.

import { CATEGORIES, knownEvents, reasonName, type Element } from '@vnflab/core';
import type { EmbeddedChain } from '@vnflab/runtime';
import { latencyFromBuckets } from './latency';
import type { CompareResult, FrameSize } from './model';
import { cpuWindow } from './stage-cpu';

interface StageCounters {
  packetsIn: number;
  packetsOut: number;
  drops: Float64Array;
  events: Float64Array;
  cpu: Float64Array;
}

export interface ChainCounters {
  /** performance.now() of the copy, ms. */
  t: number;
  sent: number;
  stages: StageCounters[];
  e2e: Float64Array;
  e2eSum: number;
}

export function readChainCounters(ec: EmbeddedChain): ChainCounters {
  const sink = ec.stages[ec.stages.length - 1].element as Element;
  return {
    t: performance.now(),
    sent: ec.source.sent,
    stages: ec.stages.map((s) => ({
      packetsIn: s.stats.packetsIn,
      packetsOut: s.stats.packetsOut,
      drops: s.stats.drops.slice(),
      events: s.stats.events.slice(),
      cpu: s.stats.cpu.ns.slice(),
    })),
    e2e: sink.e2e ? sink.e2e.counts.slice() : new Float64Array(0),
    e2eSum: sink.e2e?.sum ?? 0,
  };
}

const NOT_A_LOSS = new Set(['duplicate']);

export interface WindowContext {
  /** Index of the stage under comparison in ec.stages. */
  stageIndex: number;
  variant: string;
  size: FrameSize;
  rate: number;
  /** Packets the generator's pacing may be ahead of or behind its schedule at any instant. */
  slack: number;
}

export function windowResult(ec: EmbeddedChain, a: ChainCounters, b: ChainCounters, w: WindowContext): CompareResult {
  const windowS = (b.t - a.t) / 1e3;
  const last = ec.stages.length - 1;
  const sent = b.sent - a.sent;
  const received = b.stages[last].packetsOut - a.stages[last].packetsOut;
  const drops: CompareResult['drops'] = {};
  let dropsTotal = 0;
  const chainNs = new Float64Array(CATEGORIES.length);
  const perStage: Record<string, { seconds: Record<string, number>; packetsIn: number }> = {};
  const secondsOf = (i: number): Record<string, number> => {
    const out: Record<string, number> = {};
    CATEGORIES.forEach((c, k) => (out[c] = (b.stages[i].cpu[k] - a.stages[i].cpu[k]) / 1e9));
    return out;
  };
  ec.stages.forEach((s, i) => {
    const d: Record<string, number> = {};
    for (let r = 1; r < b.stages[i].drops.length; r++) {
      const n = b.stages[i].drops[r] - a.stages[i].drops[r];
      if (n <= 0) continue;
      const name = reasonName(r);
      if (NOT_A_LOSS.has(name)) continue;
      d[name] = n;
      dropsTotal += n;
    }
    if (Object.keys(d).length) drops[s.name] = d;
    // the generator and the backends are the lab's instruments, outside the system under test
    if (i > 0 && i < last) {
      for (let c = 0; c < chainNs.length; c++) chainNs[c] += b.stages[i].cpu[c] - a.stages[i].cpu[c];
      perStage[s.name] = { seconds: secondsOf(i), packetsIn: b.stages[i].packetsIn - a.stages[i].packetsIn };
    }
  });
  const st = w.stageIndex;
  const stageSeconds = secondsOf(st);
  const chainSeconds: Record<string, number> = {};
  CATEGORIES.forEach((c, i) => (chainSeconds[c] = chainNs[i] / 1e9));
  const stageIn = b.stages[st].packetsIn - a.stages[st].packetsIn;
  const events: Record<string, number> = {};
  knownEvents().forEach((e, i) => {
    const n = b.stages[st].events[i] - a.stages[st].events[i];
    if (n > 0) events[e] = stageIn > 0 ? n / stageIn : 0;
  });
  const e2e = new Float64Array(b.e2e.length);
  for (let i = 0; i < e2e.length; i++) e2e[i] = b.e2e[i] - (a.e2e[i] ?? 0);
  // at a set rate, the packets due in the window that never left the generator (the chain held
  // it back); the pacing may be up to `slack` packets early or late at each edge
  const notSent = w.rate > 0 ? Math.max(0, Math.round(w.rate * windowS - sent - 2 * w.slack)) : 0;
  return {
    variant: w.variant,
    size: w.size,
    rate_pps: w.rate,
    window_s: windowS,
    sent,
    received,
    offered_pps: windowS > 0 ? sent / windowS : 0,
    packets_per_second: windowS > 0 ? received / windowS : 0,
    drops,
    drops_total: dropsTotal,
    not_sent: notSent,
    cpu: cpuWindow({ stageSeconds, stageIn, chainSeconds, stages: perStage }),
    events_per_packet: events,
    latency_seconds: latencyFromBuckets(e2e, b.e2eSum - a.e2eSum),
  };
}
