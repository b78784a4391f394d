// The NDR search against a stand-in chain with a known capacity: it converges within the
// resolution, never runs more trials than its bound, and never reports a rate that lost packets.

import { ndrTrialBound, searchNdr, type CompareResult } from '@vnflab/lab';

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
