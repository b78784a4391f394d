// A full ring drops with reason rx_missed and counts the event; the accounting closes per stage
// and end to end through the embedded chain (traffic-gen -> nic -> backends).

import { StageRegistry, reasonCode, validateChain } from '@vnflab/core';
import { EmbeddedChain, summarize } from '@vnflab/runtime';
import { Ev } from '../src/events';
import { trafficGenStage } from '@vnflab/traffic-gen';
import { backendsStage } from '@vnflab/backends';
import { Nic, RX_MISSED_REASON } from '../src/nic';
import { nicStage } from '../src';
import { ctxFor, expectIntact, runBatch, wireBatch } from './helpers';

describe('ring full', () => {
  test.each(['native', 'passthrough', 'emulated'])(
    '%s: a burst larger than the posted descriptors drops the excess as rx_missed',
    (mode) => {
      // ring of 8: the driver keeps 7 posted; moderation by 64 holds the interrupt for the whole burst
      const nic = new Nic(mode, { ring_size: 8, irq_moderation_count: 64 });
      const ctx = ctxFor(nic);
      const b = wireBatch(32, 64);
      runBatch(nic, b, ctx);
      expect(b.count).toBe(7);
      expectIntact(b);
      expect(ctx.stats.events[Ev.rx_missed]).toBe(25);
      expect(ctx.stats.drops[RX_MISSED_REASON]).toBe(25);
      expect(reasonCode('rx_missed')).toBe(RX_MISSED_REASON);
      // the driver refilled: the next burst finds 7 descriptors again
      const b2 = wireBatch(32, 64, 100);
      runBatch(nic, b2, ctx);
      expect(b2.count).toBe(7);
      expect(ctx.stats.packetsIn).toBe(64);
      expect(ctx.stats.packetsIn).toBe(ctx.stats.packetsOut + ctx.stats.totalDrops());
    },
  );

  test('per-packet interrupts do not save a small ring: the guest reacts after the burst', () => {
    const nic = new Nic('passthrough', { ring_size: 16, irq_moderation_count: 0 });
    const ctx = ctxFor(nic);
    const b = wireBatch(64, 64);
    runBatch(nic, b, ctx);
    expect(b.count).toBe(15);
    expect(ctx.stats.events[Ev.interrupt]).toBe(15);
    expect(ctx.stats.events[Ev.rx_missed]).toBe(49);
  });

  test('ring occupancy shows the completed descriptors waiting for the driver', () => {
    const nic = new Nic('passthrough', { ring_size: 64 });
    const ctx = ctxFor(nic);
    runBatch(nic, wireBatch(20, 64), ctx);
    const occupancy = nic.metrics().find((m) => m.name === 'vnflab_ring_occupancy');
    expect(occupancy?.samples[0].value).toBe(20);
  });
});

describe('end to end through the embedded chain', () => {
  const registry = new StageRegistry().register(trafficGenStage).register(nicStage).register(backendsStage);

  test.each([
    ['passthrough', {}],
    ['native', {}],
    ['virtio', {}],
    ['emulated', {}],
    ['passthrough', { ring_size: 16, irq_moderation_count: 128 }], // drops rx_missed on purpose
  ])('%s %j: every packet sent is received or dropped with a reason', async (variant, settings) => {
    const chain = validateChain(
      {
        name: 't',
        profile: 'zero',
        batch_size: 64,
        stages: [
          { stage: 'traffic-gen', settings: { count: 20000, size: 64 } },
          { stage: 'nic', variant, settings },
          { stage: 'backends' },
        ],
      },
      registry,
    );
    const c = new EmbeddedChain(chain, registry);
    await c.start();
    const s = summarize(chain.name, chain.profile, c.stages, c.elapsedSeconds());
    expect(s.sent).toBe(20000);
    expect(s.accounting_closed).toBe(true);
    const nic = s.stages[1];
    expect(nic.variant).toBe(variant);
    expect(nic.packets_in).toBe(nic.packets_out + Object.values(nic.drops).reduce((a, b) => a + b, 0));
    // backends verified every checksum of what the nic delivered: the bytes survived the DMA and copies
    expect(s.stages[2].drops).toEqual({});
    if ((settings as { ring_size?: number }).ring_size === 16) {
      expect(nic.drops.rx_missed).toBeGreaterThan(0);
      expect(nic.events.rx_missed).toBe(nic.drops.rx_missed);
    } else {
      expect(s.received).toBe(20000);
    }
  });
});
