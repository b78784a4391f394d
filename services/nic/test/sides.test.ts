// The pieces both directions share: interrupt delivery (host, posted, exit) billed once per
// burst, the moderated interrupt line honouring the driver's mask, and the element building one
// path for its direction.

import { GuestMemory, RxDescRing, RX_DESC_SIZE } from '@vnflab/core';
import { Ev } from '../src/events';
import { BurstCounts, newNicTotals } from '../src/burst';
import { billGuestExits } from '../src/guest-exits';
import { createInterruptDelivery } from '../src/irq-delivery';
import { InterruptModerator } from '../src/moderation';
import { ModeratedIrq } from '../src/moderated-irq';
import { Nic } from '../src/nic';
import { ICR_RXT0, ICR_TXDW, NicRegisters, REG_IMC, REG_IMS } from '../src/registers';
import { RxPath } from '../src/rx-path';
import { TxPath } from '../src/tx-path';
import { ctxFor } from './helpers';

function spends(nic: Nic): { ctx: ReturnType<typeof ctxFor>; spent: Record<string, number> } {
  const ctx = ctxFor(nic);
  const spent: Record<string, number> = {};
  const spend = ctx.costs.spend.bind(ctx.costs);
  ctx.costs.spend = (name, count) => {
    spent[name] = (spent[name] ?? 0) + count;
    spend(name, count);
  };
  return { ctx, spent };
}

describe('interrupt delivery', () => {
  test.each([
    ['host', 0, {}],
    ['posted', 0, { posted_interrupt: 5 }],
    ['exit', 10, { vm_exit: 10 }], // injection and completion (EOI) each
  ] as const)('%s: 5 interrupts cost %i VM exits', (kind, exits, spent) => {
    const { ctx, spent: got } = spends(new Nic('native'));
    const b = new BurstCounts();
    const d = createInterruptDelivery(kind);
    expect(d.kind).toBe(kind);
    d.deliver(5, ctx, ctx.stats.cpu.begin(), b);
    expect(b.exits).toBe(exits);
    expect(got).toEqual(spent);
  });

  test('trapped accesses cost a VM exit and a device-model trip each, kicks a VM exit each; none costs nothing', () => {
    const { ctx, spent } = spends(new Nic('native'));
    const b = new BurstCounts();
    const t = ctx.stats.cpu.begin();
    expect(billGuestExits(0, 0, ctx, t, b)).toBe(t);
    expect(spent).toEqual({});
    billGuestExits(3, 2, ctx, t, b);
    expect(b.exits).toBe(5);
    expect(spent).toEqual({ vm_exit: 5, device_model: 3 });
  });

  test('a burst reports its counts into the totals once, and reset starts the next from zero', () => {
    const nic = new Nic('native');
    const ctx = ctxFor(nic);
    const totals = newNicTotals();
    const b = new BurstCounts();
    b.interrupts = 2;
    b.missed = 3;
    b.ringFull = 4;
    b.report(ctx.stats, totals, 1);
    b.reset();
    b.report(ctx.stats, totals, 0);
    expect(totals).toMatchObject({ interrupts: 2, rxMissed: 3, txRingFull: 4, iommuFaults: 1, bursts: 2 });
    expect([ctx.stats.events[Ev.interrupt], ctx.stats.events[Ev.rx_missed], ctx.stats.events[Ev.iommu_fault]]).toEqual([
      2, 3, 1,
    ]);
  });
});

describe('moderated interrupt line', () => {
  test('a fired moderator raises an interrupt only while the driver has the cause unmasked', () => {
    const ring = new RxDescRing(new GuestMemory(8 * RX_DESC_SIZE).bytes, 0, 8);
    const regs = new NicRegisters(ring, false);
    const irq = new ModeratedIrq(new InterruptModerator(2, 0), regs, ICR_RXT0);
    expect(irq.writeBack(1, 0) + irq.writeBack(2, 0)).toBe(0); // masked: latched in ICR, not raised
    regs.write(REG_IMS, ICR_RXT0);
    expect(irq.writeBack(3, 0)).toBe(0); // below the count
    expect(irq.writeBack(4, 0)).toBe(1);
    expect(irq.writeBack(5, 0)).toBe(0);
    expect(irq.idle()).toBe(1); // the pending one fires when the wire goes idle
    expect(irq.idle()).toBe(0);
    regs.write(REG_IMC, ICR_RXT0);
    regs.write(REG_IMS, ICR_TXDW); // another cause unmasked does not let RXT0 through
    expect(irq.writeBack(6, 0) + irq.writeBack(7, 0)).toBe(0);
    expect(irq.describe()).toEqual({ count: 2, usecs: 0 });
  });
});

describe('one path per direction', () => {
  test.each(['native', 'passthrough', 'virtio', 'emulated'])(
    '%s: rx builds only the receive path, tx only the transmit path',
    (mode) => {
      const rx = new Nic(mode);
      expect(rx.path).toBeInstanceOf(RxPath);
      expect(rx.tx).toBeNull();
      expect(rx.ram).toBe(rx.rx!.ram);
      expect(mode === 'virtio' ? rx.vq : rx.ring).not.toBeNull();
      expect(mode === 'virtio' ? rx.ring : rx.vq).toBeNull();
      const tx = new Nic(mode, { direction: 'tx' });
      expect(tx.path).toBeInstanceOf(TxPath);
      expect(tx.rx).toBeNull();
      expect(tx.ram).toBe(tx.tx!.ram);
      expect(tx.ring).toBeNull();
      expect(mode === 'virtio' ? tx.tx!.virtioDriver : tx.tx!.regs).not.toBeNull();
      expect(mode === 'virtio' ? tx.tx!.regs : tx.tx!.virtioDriver).toBeNull();
    },
  );
});
