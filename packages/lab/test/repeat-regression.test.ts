// The arithmetic behind --repeat (medians and spreads of trials) and the regression gate
// (which direction is worse per figure, the limit, what cannot be compared), on results whose
// figures are known.

import { aggregateTrials, findRegressions, median, type CompareReport, type CompareResult } from '@vnflab/lab';

function result(o: {
  variant?: string;
  size?: number;
  pps: number;
  p99: number;
  ns: Record<string, number>;
}): CompareResult {
  return {
    variant: o.variant ?? 'v',
    size: o.size ?? 64,
    rate_pps: 0,
    window_s: 1,
    sent: o.pps,
    received: o.pps,
    offered_pps: o.pps,
    packets_per_second: o.pps,
    drops: {},
    drops_total: 0,
    not_sent: 0,
    cpu: {
      stage_seconds: {},
      stage_ns_per_packet: o.ns.nic ?? 0,
      bus_ns_per_packet: 10,
      stage_share: {},
      chain_seconds: {},
      chain_share: {},
      stages_ns_per_packet: o.ns,
    },
    events_per_packet: {},
    latency_seconds: { p50: o.p99 / 2, p90: o.p99, p99: o.p99, max: o.p99, mean: o.p99 / 2, count: o.pps, cdf: [] },
  };
}

function report(results: CompareResult[], mode: 'embedded' | 'compose' = 'embedded'): CompareReport {
  return {
    kind: 'vnflab-compare',
    version: 1,
    mode,
    created_at: '2026-01-01T00:00:00Z',
    chain: 'default',
    profile: 'zero',
    stage: 'nic',
    variants: [...new Set(results.map((r) => r.variant))],
    sizes: [64],
    settings: { rate_pps: 0, ndr: null, warmup_s: 1, duration_s: 3, batch_size: 64, repeat: 1 },
    results,
  };
}

test('median: the middle value, or the mean of the two middle ones', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([7])).toBe(7);
});

test('aggregateTrials: each figure its own median with min and max; the rest from the median-throughput trial', () => {
  const trials = [
    result({ pps: 100, p99: 0.003, ns: { nic: 500, lb: 90 } }),
    result({ pps: 300, p99: 0.001, ns: { nic: 700, lb: 70 } }),
    result({ pps: 200, p99: 0.002, ns: { nic: 900, lb: 80 } }),
  ];
  trials[2].events_per_packet = { dma: 1 };
  const a = aggregateTrials(trials);
  expect(a.packets_per_second).toBe(200);
  expect(a.latency_seconds.p99).toBe(0.002);
  expect(a.cpu.stage_ns_per_packet).toBe(700);
  expect(a.cpu.stages_ns_per_packet).toEqual({ nic: 700, lb: 80 });
  expect(a.events_per_packet).toEqual({ dma: 1 }); // the 200 pps trial's
  expect(a.repeat!.n).toBe(3);
  expect(a.repeat!.trials.map((t) => t.packets_per_second)).toEqual([100, 300, 200]);
  expect(a.repeat!.spread.packets_per_second).toEqual({ median: 200, min: 100, max: 300 });
  expect(a.repeat!.spread['cpu.stages_ns_per_packet.lb']).toEqual({ median: 80, min: 70, max: 90 });
  // one trial is the trial itself, no spread
  expect(aggregateTrials([trials[0]])).toBe(trials[0]);
  expect(() => aggregateTrials([])).toThrow(RangeError);
});

test('findRegressions: lower packets/s, higher p99 and higher CPU per packet beyond the limit, nothing else', () => {
  const base = report([
    result({ variant: 'a', pps: 1000, p99: 0.001, ns: { nic: 100, lb: 50 } }),
    result({ variant: 'b', pps: 1000, p99: 0.001, ns: { nic: 100, lb: 0 } }),
  ]);
  const cur = report([
    // a: 20 % fewer packets/s, p99 10 % higher, nic 30 % more CPU, lb 50 % less
    result({ variant: 'a', pps: 800, p99: 0.0011, ns: { nic: 130, lb: 25 } }),
    // b: everything better; lb's baseline is 0 and cannot be compared
    result({ variant: 'b', pps: 2000, p99: 0.0005, ns: { nic: 50, lb: 40 } }),
    result({ variant: 'c', pps: 1, p99: 1, ns: { nic: 1e6 } }),
  ]);
  const c = findRegressions(cur, base, 15);
  expect(c.regressions.map((r) => `${r.variant} ${r.figure}`)).toEqual([
    'a packets_per_second',
    'a cpu.stages_ns_per_packet.nic',
  ]);
  expect(c.regressions[0].change).toBeCloseTo(-0.2, 9);
  expect(c.regressions[0].line).toBe(
    'nic=a 64 B: packets/s (packets_per_second) 1.0 kpps -> 800pps, -20.0 %, beyond 15 %',
  );
  expect(c.compared).toBe(4 + 3);
  expect(c.unmatched).toEqual(['c 64 B']);
  // at exactly the limit a figure has not regressed beyond it
  expect(findRegressions(cur, base, 30).regressions.map((r) => r.figure)).toEqual([]);
  expect(findRegressions(cur, base, 5).regressions.map((r) => r.figure)).toEqual([
    'packets_per_second',
    'latency_seconds.p99',
    'cpu.stages_ns_per_packet.nic',
  ]);
  expect(() => findRegressions(cur, base, -1)).toThrow(RangeError);
});

test('compose reports match by variant alone; a baseline without per-stage CPU gates the compared stage', () => {
  const old = report([result({ variant: 'virtio', size: 64, pps: 1000, p99: 0.01, ns: { nic: 100 } })], 'compose');
  delete (old.results[0].cpu as Partial<CompareResult['cpu']>).stages_ns_per_packet;
  const cur = report([result({ variant: 'virtio', size: 66, pps: 1000, p99: 0.01, ns: { nic: 150 } })], 'compose');
  const c = findRegressions(cur, old, 10);
  expect(c.unmatched).toEqual([]);
  expect(c.regressions.map((r) => r.figure)).toEqual(['cpu.stage_ns_per_packet']);
  expect(c.regressions[0].line).toContain('nic CPU per packet (cpu.stage_ns_per_packet) 100 ns -> 150 ns, +50.0 %');
});
