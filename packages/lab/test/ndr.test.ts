// The NDR search against a stand-in chain with a known capacity: it converges within the
// resolution, never runs more trials than its bound, and never reports a rate that lost packets.

import { ndrTrialBound, searchNdr, trialMisses, trialPassed, type CompareResult } from '@vnflab/lab';

function fakeChain(capacity: number): (rate: number) => Promise<CompareResult> {
  return async (rate) => {
    const offered = rate > 0 ? rate : capacity;
    const delivered = Math.min(offered, capacity);
    return {
      variant: 'v',
      size: 64,
      rate_pps: rate,
      window_s: 1,
      sent: delivered,
      received: delivered,
      offered_pps: delivered,
      packets_per_second: delivered,
      drops: {},
      drops_total: 0,
      not_sent: rate > 0 ? Math.max(0, rate - capacity) : 0,
      cpu: {
        stage_seconds: {},
        stage_ns_per_packet: 0,
        bus_ns_per_packet: 0,
        stage_share: {},
        chain_seconds: {},
        chain_share: {},
        stages_ns_per_packet: {},
      },
      events_per_packet: {},
      latency_seconds: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0, count: 0, cdf: [] },
    };
  };
}

test('binary search finds the highest lossless rate within the resolution', async () => {
  // the unlimited run says 1e6; the chain really takes 737000 at a steady rate
  let calls = 0;
  const f = fakeChain(1e6);
  const measure = async (rate: number): Promise<CompareResult> => {
    calls++;
    const r = await f(rate);
    if (rate > 737000) return { ...r, not_sent: rate - 737000 };
    return r;
  };
  const { best, outcome } = await searchNdr(measure, { resolution: 0.01, maxIterations: 10 });
  expect(outcome.max_pps).toBe(1e6);
  expect(outcome.rate_pps).toBeLessThanOrEqual(737000);
  expect(outcome.rate_pps).toBeGreaterThan(737000 - 0.01 * 1e6);
  expect(best.ndr).toBe(outcome);
  expect(best.rate_pps).toBe(outcome.rate_pps);
  expect(outcome.trials.every((t) => t.passed === t.rate_pps <= 737000)).toBe(true);
  expect(calls).toBe(1 + outcome.trials.length);
  expect(outcome.trials.length).toBeLessThanOrEqual(ndrTrialBound({ resolution: 0.01, maxIterations: 10 }));
});

test('the iteration bound holds, and a chain that loses at every rate has NDR 0', async () => {
  const f = fakeChain(1000);
  const always = async (rate: number): Promise<CompareResult> => ({
    ...(await f(rate)),
    drops_total: rate > 0 ? 5 : 0,
  });
  const { outcome, best } = await searchNdr(always, { resolution: 0.001, maxIterations: 3 });
  expect(outcome.trials).toHaveLength(3);
  expect(outcome.rate_pps).toBe(0);
  expect(best.rate_pps).toBe(0); // the unlimited run's row
  await expect(searchNdr(f, { resolution: 0, maxIterations: 3 })).rejects.toThrow(/resolution/);
});

test('PDR: a trial may lose up to the ratio of what it offered; the outcome names the ratio', async () => {
  const f = fakeChain(1e6);
  // beyond 500 kpps the chain loses 0.05 % of what it is offered; beyond 800 kpps 1 %
  const lossy = async (rate: number): Promise<CompareResult> => {
    const r = await f(rate);
    const loss = rate > 800_000 ? 0.01 : rate > 500_000 ? 0.0005 : 0;
    return { ...r, drops_total: Math.round(rate * loss) };
  };
  const ndr = await searchNdr(lossy, { resolution: 0.01, maxIterations: 10 });
  expect(ndr.outcome.rate_pps).toBeLessThanOrEqual(500_000);
  expect(ndr.outcome.loss_tolerance).toBeUndefined();
  const pdr = await searchNdr(lossy, { resolution: 0.01, maxIterations: 10, lossTolerance: 0.001 });
  expect(pdr.outcome.rate_pps).toBeGreaterThan(790_000);
  expect(pdr.outcome.rate_pps).toBeLessThanOrEqual(800_000);
  expect(pdr.outcome.loss_tolerance).toBe(0.001);
});

test('max latency: the highest rate whose p99 stays under the bound; a window with nothing received fails it', async () => {
  const f = fakeChain(1e6);
  // p99 grows with the rate: 1 ms at 100 kpps, 10 ms at 1 Mpps
  const queued = async (rate: number): Promise<CompareResult> => {
    const r = await f(rate);
    const p99 = (rate > 0 ? rate : 1e6) / 1e8;
    return { ...r, latency_seconds: { ...r.latency_seconds, p99, count: 100 } };
  };
  const { outcome } = await searchNdr(queued, {
    resolution: 0.01,
    maxIterations: 10,
    lossTolerance: Infinity,
    maxLatencyS: 0.004,
  });
  expect(outcome.rate_pps).toBeLessThanOrEqual(400_000);
  expect(outcome.rate_pps).toBeGreaterThan(390_000);
  expect(outcome).toMatchObject({ loss_tolerance: null, max_latency_s: 0.004 });
  // each trial keeps its p99, and a failed one says what it missed
  for (const t of outcome.trials) {
    expect(t.p99_s).toBeCloseTo(t.rate_pps / 1e8, 12);
    if (t.passed) expect(t.failed).toBeUndefined();
    else expect(t.failed).toEqual([`p99 ${Number(((t.rate_pps / 1e8) * 1e3).toPrecision(3))} ms > 4 ms`]);
  }
  expect(outcome.trials.some((t) => !t.passed)).toBe(true);
  // packets lost do not matter to the latency-only search, but nothing received fails it
  const r = await queued(1000);
  expect(trialPassed({ ...r, drops_total: 999 }, Infinity, 0.004)).toBe(true);
  expect(trialPassed({ ...r, latency_seconds: { ...r.latency_seconds, count: 0, p99: 0 } }, Infinity, 0.004)).toBe(
    false,
  );
  expect(trialPassed({ ...r, drops_total: 1 }, 0, 0.004)).toBe(false);
  expect(trialMisses({ ...r, drops_total: 3, not_sent: 2 }, 0, 0.004)).toEqual(['lost 5 of 1000']);
  expect(trialMisses({ ...r, latency_seconds: { ...r.latency_seconds, count: 0 } }, Infinity, 0.004)).toEqual([
    'nothing received',
  ]);
});
