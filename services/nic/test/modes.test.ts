// Events per packet follow from each mode's mechanism, at a fixed batch size of 32 with the zero
// cost profile (counts, not timing).

import { type Batch } from '@vnflab/core';
import { Ev } from '../src/events';
import { Nic } from '../src/nic';
import { VIRTQ_AVAIL_F_NO_INTERRUPT } from '../src/virtqueue';
import { ctxFor, expectIntact, runBatch, wireBatch, type TestCtx } from './helpers';

const BATCHES = 50;
const BATCH = 32;

function run(
  mode: string,
  settings: Record<string, unknown> = {},
  len = 64,
): { nic: Nic; ctx: TestCtx; ev: (e: keyof typeof Ev) => number } {
  const nic = new Nic(mode, settings);
  const ctx = ctxFor(nic);
  for (let k = 0; k < BATCHES; k++) {
    const b: Batch = wireBatch(BATCH, len, k * BATCH);
    runBatch(nic, b, ctx);
    expect(b.count).toBe(BATCH);
    expectIntact(b);
    for (let i = 0; i < b.count; i++) expect(b.seq(i)).toBe(k * BATCH + i); // order kept
  }
  expect(ctx.stats.packetsIn).toBe(ctx.stats.packetsOut + ctx.stats.totalDrops());
  return { nic, ctx, ev: (e) => ctx.stats.events[Ev[e]] };
}

const N = BATCHES * BATCH;

describe('events per packet by mode', () => {
  test('native: one DMA per packet, no IOMMU, no VM exit, moderated interrupts', () => {
    const { nic, ev } = run('native');
    expect(nic.iommu).toBeNull();
    expect(ev('dma')).toBe(N);
    expect(ev('copy')).toBe(0);
    expect(ev('vm_exit')).toBe(0);
    expect(ev('interrupt')).toBe(BATCHES); // moderation count 32 = the batch
  });

  test('passthrough/posted: DMA through the IOMMU, zero VM exits', () => {
    const { nic, ev } = run('passthrough', { interrupt_delivery: 'posted' });
    expect(nic.iommu).not.toBeNull();
    expect(ev('dma')).toBe(N);
    expect(ev('copy')).toBe(0);
    expect(ev('interrupt')).toBe(BATCHES);
    expect(ev('vm_exit')).toBe(0);
  });

  test('passthrough/exit: two VM exits per interrupt (injection and EOI), with and without moderation', () => {
    const moderated = run('passthrough', { interrupt_delivery: 'exit' });
    expect(moderated.ev('interrupt')).toBe(BATCHES);
    expect(moderated.ev('vm_exit')).toBe(2 * moderated.ev('interrupt'));
    const perPacket = run('passthrough', { interrupt_delivery: 'exit', irq_moderation_count: 0 });
    expect(perPacket.ev('interrupt')).toBe(N);
    expect(perPacket.ev('vm_exit')).toBe(2 * N);
    const by8 = run('passthrough', { interrupt_delivery: 'exit', irq_moderation_count: 8 });
    expect(by8.ev('interrupt')).toBe(N / 8);
    expect(by8.ev('vm_exit')).toBe(2 * (N / 8));
  });

  test('virtio with EVENT_IDX: each packet copied exactly once, far fewer notifications than packets', () => {
    const { nic, ev } = run('virtio');
    expect(ev('copy')).toBe(N);
    expect(ev('dma')).toBe(N); // the physical NIC into host memory
    expect(ev('interrupt')).toBe(BATCHES); // one per batch of 32
    expect(ev('interrupt')).toBeLessThan(N / 10);
    expect(ev('kick')).toBe(0); // the device never ran dry
    expect(ev('vm_exit')).toBe(2 * ev('interrupt') + ev('kick')); // injection and EOI per interrupt
    expect(nic.vhost!.suppressed).toBe(N - BATCHES);
  });

  test('virtio without EVENT_IDX: the first used buffer of a burst interrupts, NO_INTERRUPT suppresses the rest while the guest polls', () => {
    const { nic, ev } = run('virtio', { event_idx: false });
    expect(ev('copy')).toBe(N);
    expect(ev('interrupt')).toBe(BATCHES);
    expect(nic.vhost!.suppressed).toBe(N - BATCHES);
    expect(ev('vm_exit')).toBe(2 * BATCHES + ev('kick'));
    // the poll found the ring empty and turned interrupts back on for the next burst
    expect(nic.vq!.availFlags & VIRTQ_AVAIL_F_NO_INTERRUPT).toBe(0);
  });

  test('virtio kicks: a queue smaller than a burst runs dry, asks for a kick and gets one', () => {
    const nic = new Nic('virtio', { ring_size: 16 });
    const ctx = ctxFor(nic);
    const b = wireBatch(32, 64);
    runBatch(nic, b, ctx);
    expect(b.count).toBe(16);
    expect(ctx.stats.events[Ev.kick]).toBe(1);
    expect(ctx.stats.events[Ev.rx_missed]).toBe(16);
    expect(ctx.stats.events[Ev.vm_exit]).toBe(3); // one interrupt (injection, EOI), one kick
  });

  test('emulated: every register access traps; at least one VM exit per doorbell write; one copy per packet', () => {
    const { nic, ev } = run('emulated');
    const doorbells = nic.totals.doorbells;
    expect(doorbells).toBe(BATCHES); // RDT written once per poll
    expect(ev('copy')).toBe(N);
    expect(ev('vm_exit')).toBeGreaterThanOrEqual(doorbells);
    // per interrupt: injection + ICR read; per poll: IMC, STATUS, RDT, IMS, STATUS
    expect(nic.totals.traps).toBe(BATCHES * (1 + 5));
    expect(ev('vm_exit')).toBe(2 * ev('interrupt') + nic.totals.traps);
    expect(nic.metrics().find((m) => m.name === 'vnflab_nic_register_traps_total')!.samples[0].value).toBe(
      nic.totals.traps,
    );
  });

  test('emulated with posted interrupts still traps on every register access', () => {
    const { nic, ev } = run('emulated', { interrupt_delivery: 'posted' });
    expect(ev('vm_exit')).toBe(nic.totals.traps);
    expect(ev('vm_exit')).toBeGreaterThanOrEqual(nic.totals.doorbells);
  });

  test('passthrough and native doorbells do not trap', () => {
    for (const mode of ['passthrough', 'native']) {
      const { nic } = run(mode);
      expect(nic.totals.doorbells).toBe(BATCHES);
      expect(nic.totals.traps).toBe(0);
    }
  });

  test('frames of every size up to 1518 B come through intact in every mode', () => {
    for (const mode of ['native', 'passthrough', 'virtio', 'emulated']) {
      const nic = new Nic(mode);
      const ctx = ctxFor(nic);
      const b = wireBatch(30, (i) => 60 + i * 50, 7);
      runBatch(nic, b, ctx);
      expect(b.count).toBe(30);
      expectIntact(b);
    }
  });
});
