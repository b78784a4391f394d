// The flow number in a probe comes off the wire: one packet claiming flow 0xFFFFFFFF must not size
// an allocation, fail its batch, or be lost — it is received, untracked, and counted as such.

import { Costs, StageStats, loadProfile, silentLogger } from '@vnflab/core';
import { Backends } from '../src/backends';
import { FlowTracker, MAX_TRACKED_FLOWS, SeqVerdict } from '../src/flow-tracker';
import { probedBatch } from './helpers';

test('a flow number beyond the tracked range is untracked, and nothing grows', () => {
  const t = new FlowTracker();
  expect(t.observe(0xffffffff, 1)).toBe(SeqVerdict.Untracked);
  expect(t.observe(MAX_TRACKED_FLOWS, 1)).toBe(SeqVerdict.Untracked);
  expect(t.untracked).toBe(2);
  expect(t.observe(MAX_TRACKED_FLOWS - 1, 0)).toBe(SeqVerdict.InOrder);
  expect(t.observe(MAX_TRACKED_FLOWS - 1, 0)).toBe(SeqVerdict.Duplicate);
});

test('one poisoned probe in a batch: all 64 packets are received, one untracked', () => {
  const b = probedBatch(64, (i) => (i === 17 ? 0xffffffff : i), 1);
  const el = new Backends({ verify_checksums: false });
  const stats = new StageStats('backends', 'sink');
  el.process(b, { stats, costs: new Costs(loadProfile('zero')), log: silentLogger });
  expect(el.received).toBe(64);
  expect(stats.totalDrops()).toBe(0);
  expect(el.describe().untracked_flows).toBe(1);
  expect(el.describe().flows_seen).toBe(63);
});
