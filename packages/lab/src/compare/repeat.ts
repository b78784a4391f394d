// `--repeat N`: each variant and size measured N times. The result's figures are the medians of
// the trials, each with its spread (min and max); everything that is not one of these figures
// (CDF, events, CPU shares, drops by reason) comes from the trial of median packets/s, and every
// trial is kept whole in `repeat.trials`.

import type { CompareResult, FigureSpread } from './model';

/** The figures a repeated result gives as median and spread, by name; the names the baseline gate uses too. */
export function figures(r: CompareResult): Record<string, number> {
  const f: Record<string, number> = {
    offered_pps: r.offered_pps,
    packets_per_second: r.packets_per_second,
    sent: r.sent,
    received: r.received,
    drops_total: r.drops_total,
    not_sent: r.not_sent,
    'latency_seconds.p50': r.latency_seconds.p50,
    'latency_seconds.p90': r.latency_seconds.p90,
    'latency_seconds.p99': r.latency_seconds.p99,
    'latency_seconds.max': r.latency_seconds.max,
    'latency_seconds.mean': r.latency_seconds.mean,
    'cpu.stage_ns_per_packet': r.cpu.stage_ns_per_packet,
    'cpu.bus_ns_per_packet': r.cpu.bus_ns_per_packet,
  };
  for (const [s, ns] of Object.entries(r.cpu.stages_ns_per_packet ?? {})) f[`cpu.stages_ns_per_packet.${s}`] = ns;
  if (r.ndr) f['ndr.rate_pps'] = r.ndr.rate_pps;
  return f;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One result of N trials of the same variant and size: medians, spreads, every trial. */
export function aggregateTrials(trials: CompareResult[]): CompareResult {
  if (trials.length === 0) throw new RangeError('aggregateTrials needs at least one trial');
  if (trials.length === 1) return trials[0];
  const byPps = [...trials].sort((a, b) => a.packets_per_second - b.packets_per_second);
  const base = byPps[(byPps.length - 1) >> 1];
  const spread: Record<string, FigureSpread> = {};
  const each = trials.map(figures);
  for (const name of Object.keys(figures(base))) {
    const xs = each.map((f) => f[name]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    if (xs.length) spread[name] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  }
  const m = (name: string, fallback: number): number => spread[name]?.median ?? fallback;
  const stagesNs: Record<string, number> = {};
  for (const s of Object.keys(base.cpu.stages_ns_per_packet ?? {}))
    stagesNs[s] = m(`cpu.stages_ns_per_packet.${s}`, base.cpu.stages_ns_per_packet[s]);
  return {
    ...base,
    offered_pps: m('offered_pps', base.offered_pps),
    packets_per_second: m('packets_per_second', base.packets_per_second),
    sent: m('sent', base.sent),
    received: m('received', base.received),
    drops_total: m('drops_total', base.drops_total),
    not_sent: m('not_sent', base.not_sent),
    latency_seconds: {
      ...base.latency_seconds,
      p50: m('latency_seconds.p50', base.latency_seconds.p50),
      p90: m('latency_seconds.p90', base.latency_seconds.p90),
      p99: m('latency_seconds.p99', base.latency_seconds.p99),
      max: m('latency_seconds.max', base.latency_seconds.max),
      mean: m('latency_seconds.mean', base.latency_seconds.mean),
    },
    cpu: {
      ...base.cpu,
      stage_ns_per_packet: m('cpu.stage_ns_per_packet', base.cpu.stage_ns_per_packet),
      bus_ns_per_packet: m('cpu.bus_ns_per_packet', base.cpu.bus_ns_per_packet),
      stages_ns_per_packet: stagesNs,
    },
    ...(base.ndr ? { ndr: { ...base.ndr, rate_pps: m('ndr.rate_pps', base.ndr.rate_pps) } } : {}),
    repeat: { n: trials.length, spread, trials },
  };
}
