// The report's line on how the rate was chosen: NDR as before; PDR and the latency bound named;
// in compose, a search says the generator's rate was set through the controller.

import { rateSetting, type CompareReport } from '@vnflab/lab';

function report(mode: 'embedded' | 'compose', ndr: CompareReport['settings']['ndr']): CompareReport {
  return {
    kind: 'vnflab-compare',
    version: 1,
    mode,
    created_at: '',
    chain: 'default',
    profile: 'zero',
    stage: 'nic',
    variants: [],
    sizes: [],
    settings: { rate_pps: null, ndr, warmup_s: 1, duration_s: 3, batch_size: 64, repeat: 1 },
    results: [],
  };
}

test('NDR, PDR, a latency bound, and a search in compose each say what they are', () => {
  expect(rateSetting(report('embedded', { resolution: 0.02, max_iterations: 8 }))).toBe(
    'NDR by binary search (resolution 2.0 %, at most 8 trials after an unlimited one)',
  );
  expect(rateSetting(report('embedded', { resolution: 0.02, max_iterations: 8, loss_tolerance: 0.001 }))).toBe(
    'PDR (at most 0.1 % of the offered packets lost) by binary search (resolution 2.0 %, at most 8 trials after an unlimited one)',
  );
  expect(
    rateSetting(report('embedded', { resolution: 0.02, max_iterations: 8, loss_tolerance: null, max_latency_s: 0.01 })),
  ).toMatch(/^The highest rate under the latency bound by binary search \(.*, p99 at most 10\.00 ms\)$/);
  expect(rateSetting(report('compose', { resolution: 0.02, max_iterations: 2 }))).toMatch(
    /^NDR by binary search .*the traffic-gen container's rate set through the controller per trial\)$/,
  );
});
