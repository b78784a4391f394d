// Interrupt moderation by count and by wire time.

import { CLOCK_DOMAIN } from '@vnflab/core';
import { InterruptModerator } from '../src/moderation';
import { Nic } from '../src/nic';
import { Ev } from '../src/events';
import { ctxFor, runBatch, wireBatch } from './helpers';

function fire(m: InterruptModerator, times: number[]): number {
  let n = 0;
  for (const t of times) n += m.onPacket(t);
  return n + m.flush();
}

describe('InterruptModerator', () => {
  test('0 frames and 0 usecs: one interrupt per packet', () => {
    expect(fire(new InterruptModerator(0, 0), [1, 1, 1, 1, 1])).toBe(5);
  });

  test('by count: every N packets, and the rest when the wire goes idle', () => {
    const m = new InterruptModerator(4, 0);
    expect([1, 2, 3, 4, 5, 6].map((t) => m.onPacket(t))).toEqual([0, 0, 0, 1, 0, 0]);
    expect(m.waiting).toBe(2);
    expect(m.flush()).toBe(1);
    expect(m.flush()).toBe(0);
  });

  test('by time: packets within usecs of the first pending one share an interrupt', () => {
    const us = 1000;
    // arrivals at 0, 10, 20 us, then 100, 105 us, then 300 us; window 50 us
    expect(fire(new InterruptModerator(0, 50), [0, 10 * us, 20 * us, 100 * us, 105 * us, 300 * us])).toBe(3);
    // a trickle slower than the window: one interrupt each
    expect(fire(new InterruptModerator(0, 50), [0, 100 * us, 200 * us, 300 * us])).toBe(4);
  });

  test('count and time together: whichever comes first', () => {
    const us = 1000;
    const times = Array.from({ length: 10 }, (_, i) => i * us); // 1 us apart
    expect(fire(new InterruptModerator(4, 1000), times)).toBe(3); // by count: 4, 4, then 2 at idle
    expect(fire(new InterruptModerator(100, 3), times)).toBe(4); // by time: 0-2, 3-5, 6-8, then 9 at idle
  });
});

describe('moderation inside the NIC', () => {
  test("usecs coalesces on the packets' wire timestamps", () => {
    const nic = new Nic('passthrough', {
      irq_moderation_count: 0,
      irq_moderation_usecs: 10,
      interrupt_delivery: 'exit',
    });
    const ctx = ctxFor(nic);
    const b = wireBatch(32, 64);
    b.createdNs = 1e9; // made by a source on this host's clock, as the runtime's source does
    for (let i = 0; i < 32; i++) b.setGenNs(i, 1e9 + i * 1000); // 1 us apart: 10 per window
    runBatch(nic, b, ctx);
    expect(ctx.stats.events[Ev.interrupt]).toBe(4); // 0-9, 10-19, 20-29, 30-31
    expect(ctx.stats.events[Ev.vm_exit]).toBe(2 * 4); // each: injection and EOI
    expect(b.count).toBe(32);
  });

  test("timestamps taken on another host's clock are not used: the burst is written back now", () => {
    const nic = new Nic('passthrough', {
      irq_moderation_count: 0,
      irq_moderation_usecs: 10,
      interrupt_delivery: 'exit',
    });
    const ctx = ctxFor(nic);
    const b = wireBatch(32, 64);
    b.createdNs = 1e9;
    b.createdClock = CLOCK_DOMAIN ^ 1 || 2; // as a batch from another host decodes
    for (let i = 0; i < 32; i++) b.setGenNs(i, 1e9 + i * 1000);
    runBatch(nic, b, ctx);
    expect(ctx.stats.events[Ev.interrupt]).toBe(1); // one window, not the four the stamps would give
    expect(b.count).toBe(32);
  });
});
