// Where the nic bills what KVM does: the guest loses its exits (two per interrupt delivered by
// exits), the host threads' work (vhost-net's copy, QEMU's device model, the host's NIC driver)
// goes to `host` and never to a guest category, and virtio-net keeps interrupts off while it
// polls, so a burst interrupts once even without EVENT_IDX.

import { CATEGORIES, Cat, GuestMemory, Mempool, type Category } from '@vnflab/core';
import { DirectDma } from '../src/dma';
import { Ev } from '../src/events';
import { HarvestQueue } from '../src/harvest-queue';
import { Nic } from '../src/nic';
import { VhostBackend } from '../src/vhost-backend';
import { VirtioNetRxDriver } from '../src/virtio-driver';
import { SplitVirtqueue, VIRTQ_AVAIL_F_NO_INTERRUPT, virtqLayout } from '../src/virtqueue';
import { ctxFor, expectIntact, runBatch, wireBatch, type TestCtx } from './helpers';

const BATCHES = 20;
const BATCH = 32;
const N = BATCHES * BATCH;

/**
 * Runs BATCHES bursts and records, for every modelled cost spent, the category of the pass it
 * was billed in (the next cpu.end after the spend), and how many of each were spent.
 */
function run(
  mode: string,
  settings: Record<string, unknown> = {},
): {
  nic: Nic;
  ctx: TestCtx;
  billedTo: Record<string, Category[]>;
  spent: Record<string, number>;
  ev: (e: keyof typeof Ev) => number;
} {
  const nic = new Nic(mode, settings);
  const ctx = ctxFor(nic);
  const billedTo: Record<string, Category[]> = {};
  const spent: Record<string, number> = {};
  let pending: string[] = [];
  const spend = ctx.costs.spend.bind(ctx.costs);
  ctx.costs.spend = (name, count) => {
    if (count > 0) {
      spent[name] = (spent[name] ?? 0) + count;
      pending.push(name);
    }
    spend(name, count);
  };
  const cpu = ctx.stats.cpu;
  const end = cpu.end.bind(cpu);
  cpu.end = (cat, t0) => {
    for (const name of pending) {
      const list = (billedTo[name] ??= []);
      if (!list.includes(CATEGORIES[cat])) list.push(CATEGORIES[cat]);
    }
    pending = [];
    return end(cat, t0);
  };
  for (let k = 0; k < BATCHES; k++) {
    const b = wireBatch(BATCH, 64, k * BATCH);
    runBatch(nic, b, ctx);
    expect(b.count).toBe(BATCH);
    expectIntact(b);
  }
  expect(pending).toEqual([]); // every spend landed in a measured pass
  return { nic, ctx, billedTo, spent, ev: (e) => ctx.stats.events[Ev[e]] };
}

const GUEST_CATEGORIES = CATEGORIES.filter((c) => c !== 'host' && c !== 'bus');

describe('interrupt delivery by exits', () => {
  test('passthrough/exit: every interrupt costs two exits (injection, EOI), billed to the guest as vm_exit', () => {
    const r = run('passthrough', { interrupt_delivery: 'exit', irq_moderation_count: 4 });
    expect(r.ev('interrupt')).toBe(N / 4);
    expect(r.ev('vm_exit')).toBe(2 * (N / 4));
    expect(r.spent).toEqual({ vm_exit: 2 * (N / 4) });
    expect(r.billedTo).toEqual({ vm_exit: ['vm_exit'] });
  });

  test('passthrough/posted: the same interrupts cost no exit at all', () => {
    const r = run('passthrough', { interrupt_delivery: 'posted', irq_moderation_count: 4 });
    expect(r.ev('interrupt')).toBe(N / 4);
    expect(r.ev('vm_exit')).toBe(0);
    expect(r.spent.vm_exit).toBeUndefined();
    expect(r.spent.posted_interrupt).toBe(N / 4);
  });
});

describe('host threads bill to host', () => {
  test('virtio: the host NIC driver and the vhost copy are host CPU; the guest categories hold none of it', () => {
    const r = run('virtio');
    const ns = r.ctx.stats.cpu.ns;
    expect(r.ev('copy')).toBe(N);
    expect(ns[Cat.host]).toBeGreaterThan(0);
    expect(ns[Cat.copy]).toBe(0); // the one copy of paravirtual I/O is vhost's, not the guest's
    // the guest still has its own driver work and its exits
    expect(ns[Cat.packet_io]).toBeGreaterThan(0);
    expect(r.billedTo.vm_exit).toEqual(['vm_exit']);
  });

  test('emulated: a trapped access is an exit the guest loses (vm_exit) and a device-model trip on the host (host)', () => {
    const r = run('emulated');
    const ns = r.ctx.stats.cpu.ns;
    expect(r.nic.totals.traps).toBeGreaterThan(0);
    expect(r.spent.device_model).toBe(r.nic.totals.traps);
    expect(r.billedTo.device_model).toEqual(['host']);
    expect(r.billedTo.vm_exit).toEqual(['vm_exit']);
    expect(ns[Cat.copy]).toBe(0); // QEMU's copy into the guest ring is host work
    expect(ns[Cat.host]).toBeGreaterThan(0);
  });

  test("emulated with a real profile: the device model's time is in host, not in any guest category", () => {
    const nic = new Nic('emulated');
    const ctx = ctxFor(nic, 'linux-3.10-xeon');
    for (let k = 0; k < BATCHES; k++) runBatch(nic, wireBatch(BATCH, 64, k * BATCH), ctx);
    const ns = ctx.stats.cpu.ns;
    const model = nic.totals.traps * ctx.costs.ns.device_model;
    const exits = nic.totals.vmExits * ctx.costs.ns.vm_exit;
    // the spin is calibrated, so allow its per-pass slack, not a whole cost's worth
    expect(ns[Cat.host]).toBeGreaterThan(0.9 * model);
    expect(ns[Cat.vm_exit]).toBeGreaterThan(0.9 * exits);
    // the device model is not billed to vm_exit as well: compared as a ratio of the two spins, which
    // a preempted (busy) machine stretches alike, with the line halfway between once and twice
    expect(ns[Cat.vm_exit] / ns[Cat.host]).toBeLessThan((exits + 0.5 * model) / model);
  });

  test.each(['native', 'passthrough'])('%s: no host threads on the path, nothing billed to host', (mode) => {
    const r = run(mode);
    expect(r.ctx.stats.cpu.ns[Cat.host]).toBe(0);
    expect(GUEST_CATEGORIES.some((c) => r.ctx.stats.cpu.ns[Cat[c]] > 0)).toBe(true);
  });

  test("tx: vhost-net's copy out of the guest is host CPU too", () => {
    const nic = new Nic('virtio', { direction: 'tx' });
    const ctx = ctxFor(nic);
    for (let k = 0; k < 4; k++) runBatch(nic, wireBatch(BATCH, 64, k * BATCH), ctx);
    expect(ctx.stats.events[Ev.copy]).toBe(4 * BATCH);
    expect(ctx.stats.cpu.ns[Cat.copy]).toBe(0);
    expect(ctx.stats.cpu.ns[Cat.host]).toBeGreaterThan(0);
  });
});

describe('virtio-net polls with interrupts off', () => {
  function pair(q: number, eventIdx: boolean) {
    const mem = new GuestMemory(64 * 1024 + 2 * q * 2048);
    const base = mem.carve(virtqLayout(q).total, 4096);
    const vq = new SplitVirtqueue(mem.bytes, base, q);
    const pool = new Mempool(mem, 2 * q);
    const port = new DirectDma(mem);
    const drv = new VirtioNetRxDriver(vq, pool, port, eventIdx);
    // the guest's interrupt handler, as the nic's guest side installs it
    const dev = new VhostBackend(vq, port, eventIdx, () => drv.disableCb());
    return { vq, pool, drv, dev };
  }

  test.each([false, true])(
    'EVENT_IDX %s: a burst of 32 filled before the guest polls interrupts once; the rest are suppressed',
    (eventIdx) => {
      const { vq, pool, drv, dev } = pair(256, eventIdx);
      drv.refill();
      drv.enableCb();
      const q = new HarvestQueue(256);
      const src = Buffer.alloc(64);
      for (let burst = 0; burst < 100; burst++) {
        dev.begin();
        for (let k = 0; k < 32; k++) dev.rx(src, 0, 64);
        if (!eventIdx) expect(vq.availFlags & VIRTQ_AVAIL_F_NO_INTERRUPT).toBe(VIRTQ_AVAIL_F_NO_INTERRUPT); // off while NAPI is pending
        q.reset();
        drv.harvest(q);
        for (let k = 0; k < q.n; k++) pool.put(q.buf[k]);
        drv.refill();
        expect(drv.enableCb()).toBe(true); // the ring is empty: interrupts back on
      }
      expect(dev.notifications).toBe(100);
      expect(dev.suppressed).toBe(3100);
    },
  );

  test('a buffer used between the last poll and re-enabling is found by the re-check, not stranded', () => {
    const { pool, drv, dev } = pair(16, false);
    drv.refill();
    drv.enableCb();
    const src = Buffer.alloc(64);
    dev.begin();
    dev.rx(src, 0, 64); // interrupts; the handler turns interrupts off
    const q = new HarvestQueue(16);
    expect(drv.harvest(q)).toBe(1);
    dev.rx(src, 0, 64); // arrives while interrupts are still off: suppressed
    expect(dev.suppressed).toBe(1);
    expect(drv.enableCb()).toBe(false); // the re-check sees it
    drv.disableCb();
    expect(drv.harvest(q)).toBe(1);
    expect(drv.enableCb()).toBe(true);
    for (let k = 0; k < q.n; k++) pool.put(q.buf[k]);
    expect(dev.notifications).toBe(1);
  });

  test('nic virtio without EVENT_IDX: one interrupt per burst, each delivered with its two exits', () => {
    const r = run('virtio', { event_idx: false });
    expect(r.ev('interrupt')).toBe(BATCHES);
    expect(r.nic.vhost!.suppressed).toBe(N - BATCHES);
    expect(r.ev('vm_exit')).toBe(2 * BATCHES + r.ev('kick'));
    const sup = r.nic.metrics().find((m) => m.name === 'vnflab_nic_notifications_suppressed_total')!;
    expect(sup.samples.find((s) => s.labels.kind === 'interrupt')!.value).toBe(N - BATCHES);
  });
});
