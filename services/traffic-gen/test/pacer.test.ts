// The generator's timed drain: a batch goes when full or when its oldest packet has waited the
// flush interval; packets are stamped when they fell due; a schedule that falls behind skips
// ahead and counts what it skipped as not sent.

import { Batch, StageStats, Costs, loadProfile, silentLogger } from '@vnflab/core';
import { Pacer } from '../src/pacer';
import { TrafficGenerator } from '../src/generator';

const MS = 1e6;

describe('Pacer', () => {
  test('at 10 kpps with a 2 ms flush a batch of 64 waits for the flush, not for 64 packets', () => {
    const p = new Pacer(10_000, 2 * MS, 4 * MS);
    const t0 = 1_000 * MS;
    // first packet due at t0; 64 would take 6.3 ms; the flush lets the 0.1 ms-spaced packets
    // that fall due within 2 ms join, so the batch goes at t0 + 2 ms
    expect(p.waitMs(t0, 64)).toBeCloseTo(2, 6);
    expect(p.due(t0 + 2 * MS)).toBe(21);
    const stamps = Array.from({ length: 21 }, () => p.take());
    expect(stamps[0]).toBe(t0);
    expect(stamps[20] - stamps[0]).toBeCloseTo(2 * MS, 0);
    expect(p.notSent).toBe(0);
  });

  test('at a high rate a full batch is due before the flush', () => {
    const p = new Pacer(1_000_000, 2 * MS, 4 * MS);
    const t0 = 5 * MS;
    expect(p.waitMs(t0, 64)).toBeCloseTo(0.063, 6); // 63 more intervals of 1 µs
    expect(p.due(t0 + 0.063 * MS)).toBe(64);
  });

  test('below one packet per flush interval each packet goes when it falls due', () => {
    const p = new Pacer(100, 2 * MS, 4 * MS); // one every 10 ms
    const t0 = 7 * MS;
    expect(p.waitMs(t0, 64)).toBe(0);
    expect(p.due(t0)).toBe(1);
    p.take();
    expect(p.waitMs(t0, 64)).toBeCloseTo(10, 6);
  });

  test('a sender that falls behind by more than the slack skips ahead, counting what it skipped', () => {
    const p = new Pacer(10_000, 2 * MS, 4 * MS);
    const t0 = 0;
    p.due(t0);
    // 100 ms later: 1,000 packets fell due; only the last 4 ms (41 packets) are still sendable
    const due = p.due(t0 + 100 * MS);
    expect(due).toBe(41);
    expect(p.notSent).toBe(960);
    expect(due + p.notSent).toBe(1001); // offered = the packets the schedule made due by then
    expect(p.notSentLate).toBe(960); // nothing said it waited on its output: its own lateness
  });

  test('what it skipped while waiting on its output counts as held back, the rest as its own lateness', () => {
    const p = new Pacer(10_000, 2 * MS, 4 * MS);
    p.due(0);
    // 100 ms behind, 30 ms of it waiting for the bus to take a batch: 300 packets' worth held back
    expect(p.due(100 * MS, 30 * MS)).toBe(41);
    expect(p.notSent).toBe(960);
    expect(p.notSentLate).toBe(660);
    // waiting longer than it fell behind: all of it was the chain
    p.due(300 * MS, 250 * MS);
    expect(p.notSent).toBe(960 + 2000);
    expect(p.notSentLate).toBe(660);
  });
});

describe('TrafficGenerator with a rate', () => {
  const ctx = () => ({
    stats: new StageStats('traffic-gen', 'udp'),
    costs: new Costs(loadProfile('zero')),
    log: silentLogger,
  });

  test('fills what fell due, stamps each packet with its due time and reports offered and not sent', () => {
    const g = new TrafficGenerator({ rate: 10_000, flush_ms: 2 });
    const c = ctx();
    const b = Batch.allocate(64);
    const t0 = 10_000 * MS;
    expect(g.fill(b, t0, c)).toBe(1); // the first packet is due at once
    expect(g.waitMs(t0)).toBeGreaterThan(1.9);
    b.reset();
    expect(g.fill(b, t0 + 2 * MS, c)).toBe(20);
    for (let i = 1; i < b.count; i++) expect(b.genNs(i) - b.genNs(i - 1)).toBeCloseTo(100_000, 0);
    expect(b.genNs(b.count - 1)).toBeCloseTo(t0 + 2 * MS, 0);
    b.reset();
    // a second of nothing: the generator was held back; what it could not send is counted
    expect(g.fill(b, t0 + 1002 * MS, c)).toBe(41);
    const d = g.describe();
    // 10,021 packets fell due from t0 to t0 + 1,002 ms (one every 0.1 ms, both ends included)
    expect(d.offered).toBe(10_021);
    expect(d.not_sent).toBe(10_021 - 62);
  });

  test('without a rate nothing is paced or counted as not sent', () => {
    const g = new TrafficGenerator({});
    expect(g.waitMs(0)).toBe(0);
    expect(g.describe().not_sent).toBeUndefined();
  });
});

describe('a rate changed at run time', () => {
  test('the packets after the one scheduled fall due at the new interval; none is skipped', () => {
    const p = new Pacer(1_000, 2 * MS, 4 * MS);
    const t0 = 10 * MS;
    expect(p.due(t0)).toBe(1);
    expect(p.take()).toBe(t0); // next due at t0 + 1 ms
    p.setRate(10_000);
    expect(p.take()).toBe(t0 + 1 * MS);
    expect(p.take()).toBeCloseTo(t0 + 1.1 * MS, 0);
    expect(p.notSent).toBe(0);
    expect(() => p.setRate(0)).toThrow(/must be > 0/);
  });

  test('the generator takes settings.rate only, only between positive rates', () => {
    const g = new TrafficGenerator({ rate: 1_000 });
    g.configure({ rate: 50_000 });
    expect(g.s.rate).toBe(50_000);
    expect(() => g.configure({ size: 128 })).toThrow(/settings\.size: cannot change at run time/);
    expect(() => g.configure({ rate: 0 })).toThrow(/settings\.rate: 0 must be a number > 0/);
    expect(() => new TrafficGenerator({ rate: 0 }).configure({ rate: 10 })).toThrow(/runs unpaced/);
  });
});
