// The lb benchmark on a very short run: it measures every rate and every table build it was asked for.

import { runLbBench } from '@vnflab/lab';

describe('bench', () => {
  test('returns every number (timing itself is not asserted)', () => {
    const r = runLbBench({ durationMs: 10, buildSizes: [3, 100] });
    for (const k of [
      'maglev_lookups_per_s',
      'conntrack_hit_lookups_per_s',
      'new_flow_lookups_per_s',
      'element_packets_per_s',
      'floor_packets_per_s',
      'element_to_floor',
    ] as const) {
      expect(Number.isFinite(r[k])).toBe(true);
      expect(r[k]).toBeGreaterThan(0);
    }
    expect(Object.keys(r.build_ms)).toEqual(['3', '100']);
  });
});
