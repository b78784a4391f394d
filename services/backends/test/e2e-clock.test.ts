// End-to-end latency subtracts the generator's send time from the backends' clock: only valid when
// both read one host's CLOCK_MONOTONIC. A batch made on another host is received in full, its
// latency counted as untimed instead of recorded wrong.

import {
  Batch,
  CLOCK_DOMAIN,
  Costs,
  StageStats,
  UNTIMED_OTHER_HOST,
  buildFrame,
  loadProfile,
  monoNs,
  silentLogger,
  writeProbe,
} from '@vnflab/core';
import { Backends } from '../src/backends';

function probed(n: number, createdClock: number): Batch {
  const b = Batch.allocate(n);
  b.createdNs = monoNs(); // the source's stamp ...
  b.createdClock = createdClock; // ... on the clock it was read on
  for (let i = 0; i < n; i++) {
    const f = buildFrame({
      srcIp: 0x0a010001,
      dstIp: 0x0a000101,
      proto: 'udp',
      srcPort: 40000 + i,
      dstPort: 8080,
      frameLen: 60,
    });
    const at = b.append(f.length);
    f.copy(b.buf, b.offset(at));
    writeProbe(b.buf, b.offset(at) + 42, i, 0, monoNs() - 1e5); // the probe's send time, 100 us ago
  }
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
