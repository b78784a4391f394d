// The flow number in a probe comes off the wire: one packet claiming flow 0xFFFFFFFF must not size
// an allocation, fail its batch, or be lost — it is received, untracked, and counted as such.

import { Batch, Costs, StageStats, buildFrame, loadProfile, silentLogger, writeProbe } from '@vnflab/core';
import { Backends } from '../src/backends';
import { FlowTracker, MAX_TRACKED_FLOWS, SeqVerdict } from '../src/flow-tracker';

test('a flow number beyond the tracked range is untracked, and nothing grows', () => {
  const t = new FlowTracker();
  expect(t.observe(0xffffffff, 1)).toBe(SeqVerdict.Untracked);
  expect(t.observe(MAX_TRACKED_FLOWS, 1)).toBe(SeqVerdict.Untracked);
  expect(t.untracked).toBe(2);
  expect(t.observe(MAX_TRACKED_FLOWS - 1, 0)).toBe(SeqVerdict.InOrder);
  expect(t.observe(MAX_TRACKED_FLOWS - 1, 0)).toBe(SeqVerdict.Duplicate);
});

test('one poisoned probe in a batch: all 64 packets are received, one untracked', () => {
  const b = Batch.allocate(64);
  for (let i = 0; i < 64; i++) {
    const f = buildFrame({
      srcIp: 0x0a010001 + i,
      dstIp: 0x0a000101,
      proto: 'udp',
      srcPort: 40000 + i,
      dstPort: 8080,
      frameLen: 60,
    });
    const at = b.append(f.length);
    f.copy(b.buf, b.offset(at));
    // the probe sits at the start of the UDP payload (14 + 20 + 8 bytes in)
    writeProbe(b.buf, b.offset(at) + 42, i === 17 ? 0xffffffff : i, 0, 1);
  }
  const el = new Backends({ verify_checksums: false });
  const stats = new StageStats('backends', 'sink');
  el.process(b, { stats, costs: new Costs(loadProfile('zero')), log: silentLogger });
  expect(el.received).toBe(64);
  expect(stats.totalDrops()).toBe(0);
  expect(el.describe().untracked_flows).toBe(1);
  expect(el.describe().flows_seen).toBe(63);
});
