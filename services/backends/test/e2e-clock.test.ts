// End-to-end latency subtracts the generator's send time from the backends' clock: only valid when
// both read one host's CLOCK_MONOTONIC. A batch made on another host is received in full, its
// latency counted as untimed instead of recorded wrong.

import {
  Batch,
  CLOCK_DOMAIN,
  Costs,
  StageStats,
  UNTIMED_OTHER_HOST,
  loadProfile,
  monoNs,
  silentLogger,
} from '@vnflab/core';
import { Backends } from '../src/backends';
import { probedBatch } from './helpers';

function probed(n: number, createdClock: number): Batch {
  const b = probedBatch(n, (i) => i, monoNs() - 1e5); // probes sent 100 us ago ...
  b.createdNs = monoNs(); // ... by a source that stamped the batch ...
  b.createdClock = createdClock; // ... on the clock it was read on
  return b;
}

test.each([
  ['this host', CLOCK_DOMAIN, 8, 0],
  ['another host', (CLOCK_DOMAIN ^ 1) >>> 0 || 2, 0, 8],
])('a batch made on %s: %d latencies recorded, %d untimed', (_, clock, timed, untimed) => {
  const el = new Backends({ verify_checksums: false });
  const stats = new StageStats('backends', 'sink');
  el.process(probed(8, clock), { stats, costs: new Costs(loadProfile('zero')), log: silentLogger });
  expect(el.received).toBe(8);
  expect(el.e2e.count).toBe(timed);
  expect(stats.events[UNTIMED_OTHER_HOST]).toBe(untimed);
});
