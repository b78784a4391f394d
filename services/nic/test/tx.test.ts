// The TX direction: the 82599 legacy TX descriptor layout byte by byte, a full TX ring dropping
// tx_ring_full with the accounting closed, buffers returning to the pool, events per packet per
// mode at batch 32, bytes unchanged on the wire, and an IOMMU refusing a TX DMA read.

import { TX_DESC_SIZE, TXD_CMD_EOP, TXD_CMD_IFCS, TXD_CMD_RS, TXD_STAT_DD, TxDescRing, reasonCode } from '@vnflab/core';
import { Ev } from '../src/events';
import { Nic } from '../src/nic';
import { TX_RING_FULL_REASON } from '../src/tx-path';
import { nicMemory } from '../src/memory';
import { resolveNicConfig } from '../src/settings';
import type { VhostNetTx } from '../src/tx-vhost-net';
import { ctxFor, expectIntact, runBatch, wireBatch, type TestCtx } from './helpers';

describe('TX descriptor ring (82599 legacy format)', () => {
  test('a posted descriptor and its write-back, byte by byte', () => {
    const mem = Buffer.alloc(64 + 8 * TX_DESC_SIZE, 0xee);
    const r = new TxDescRing(mem, 64, 8);
    expect(mem.subarray(64, 64 + 8 * TX_DESC_SIZE).every((x) => x === 0)).toBe(true);
    const slot = r.post(0x1_2345_6780, 0x05dc);
    expect(slot).toBe(0);
    const d = mem.subarray(64, 64 + 16);
    // 0..7 address (LE u64), 8..9 length, 10 CSO, 11 CMD, 12 STA, 13 CSS, 14..15 VLAN
    expect([...d]).toEqual([
      0x80,
      0x67,
      0x45,
      0x23,
      0x01,
      0,
      0,
      0,
      0xdc,
      0x05,
      0,
      TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS,
      0,
      0,
      0,
      0,
    ]);
    expect(TXD_CMD_EOP).toBe(0x01);
    expect(TXD_CMD_IFCS).toBe(0x02);
    expect(TXD_CMD_RS).toBe(0x08);
    expect(r.addr(0)).toBe(0x1_2345_6780);
    expect(r.length(0)).toBe(1500);
    // not handed to the device until the doorbell
    expect(r.deviceFetch()).toBe(-1);
    r.writeTail();
    expect(r.deviceAvailable).toBe(1);
    expect(r.clean()).toBe(-1); // no DD yet
    expect(r.deviceFetch()).toBe(0);
    r.deviceWriteBack(0);
    expect(d[12]).toBe(TXD_STAT_DD);
    expect(r.head).toBe(1);
    expect(r.clean()).toBe(0);
    expect(r.clean()).toBe(-1);
    // the bytes around the ring are untouched
    expect(mem.subarray(0, 64).every((x) => x === 0xee)).toBe(true);
  });

  test('without RS the device completes the descriptor but writes no DD', () => {
    const r = new TxDescRing(Buffer.alloc(4 * TX_DESC_SIZE), 0, 4);
    r.post(0x1000, 60, TXD_CMD_EOP);
    r.writeTail();
    r.deviceWriteBack(r.deviceFetch());
    expect(r.status(0) & TXD_STAT_DD).toBe(0);
    expect(r.clean()).toBe(-1);
  });

  test('a full ring refuses a post (one slot stays unused) and wraps after cleaning', () => {
    const r = new TxDescRing(Buffer.alloc(4 * TX_DESC_SIZE), 0, 4);
    for (let k = 0; k < 3; k++) expect(r.post(0x1000 * k, 60)).toBe(k);
    expect(r.postable).toBe(0);
    expect(r.post(0x9000, 60)).toBe(-1);
    r.writeTail();
    for (let s = r.deviceFetch(); s >= 0; s = r.deviceFetch()) r.deviceWriteBack(s);
    expect([r.clean(), r.clean(), r.clean(), r.clean()]).toEqual([0, 1, 2, -1]);
    expect(r.post(0x9000, 60)).toBe(3);
    expect(r.post(0xa000, 60)).toBe(0); // wrapped
    expect(r.inFlight).toBe(2);
  });
});

describe('settings', () => {
  test('direction defaults to rx; a bad value names the key', () => {
    expect(resolveNicConfig('passthrough').direction).toBe('rx');
    expect(resolveNicConfig('virtio', { direction: 'tx' }).direction).toBe('tx');
    expect(resolveNicConfig('virtio', { direction: 'both' }).direction).toBe('both');
    expect(() => resolveNicConfig('native', { direction: 'back' })).toThrow(/settings\.direction/);
  });
});

const BATCHES = 50;
const BATCH = 32;
const N = BATCHES * BATCH;

function runTx(
  mode: string,
  settings: Record<string, unknown> = {},
): { nic: Nic; ctx: TestCtx; ev: (e: keyof typeof Ev) => number } {
  const nic = new Nic(mode, { ...settings, direction: 'tx' });
  const ctx = ctxFor(nic);
  for (let k = 0; k < BATCHES; k++) {
    const b = wireBatch(BATCH, (i) => 60 + ((k * 7 + i * 13) % 1400), k * BATCH);
    runBatch(nic, b, ctx);
    expect(b.count).toBe(BATCH);
    expectIntact(b); // the bytes the device DMAed out are the bytes the stack handed over
    for (let i = 0; i < b.count; i++) expect(b.seq(i)).toBe(k * BATCH + i);
    expect(nic.tx!.pool.inUse).toBe(0); // cleaned: every buffer is back
  }
  expect(ctx.stats.packetsIn).toBe(ctx.stats.packetsOut + ctx.stats.totalDrops());
  return { nic, ctx, ev: (e) => ctx.stats.events[Ev[e]] };
}

describe('TX events per packet by mode (batch 32)', () => {
  test('native: one DMA per packet, no copy, no VM exit, one doorbell per batch', () => {
    const { nic, ev } = runTx('native');
    expect(nic.tx!.iommu).toBeNull();
    expect(ev('dma')).toBe(N);
    expect(ev('copy')).toBe(0);
    expect(ev('vm_exit')).toBe(0);
    expect(ev('interrupt')).toBe(BATCHES);
    expect(nic.totals.doorbells).toBe(BATCHES);
    expect(nic.tx!.regs!.txDoorbells).toBe(BATCHES);
  });

  test('passthrough/posted: DMA through the IOMMU, zero VM exits', () => {
    const { nic, ev } = runTx('passthrough', { interrupt_delivery: 'posted' });
    expect(nic.tx!.iommu).not.toBeNull();
    expect(ev('dma')).toBe(N);
    expect(ev('vm_exit')).toBe(0);
    expect(ev('interrupt')).toBe(BATCHES);
    expect(ev('iommu_fault')).toBe(0);
  });

  test('passthrough/exit: two VM exits per TX-completion interrupt (injection and EOI)', () => {
    const { ev } = runTx('passthrough', { interrupt_delivery: 'exit', irq_moderation_count: 8 });
    expect(ev('interrupt')).toBe(N / 8);
    expect(ev('vm_exit')).toBe(2 * ev('interrupt'));
  });

  test('emulated: the TDT doorbell traps (at least one VM exit per doorbell) and each packet is copied', () => {
    const { nic, ev } = runTx('emulated');
    const bells = nic.tx!.regs!.txDoorbells;
    expect(bells).toBe(BATCHES);
    expect(ev('vm_exit')).toBeGreaterThanOrEqual(bells);
    expect(nic.totals.traps).toBe(ev('vm_exit') - 2 * ev('interrupt')); // exit delivery adds two per interrupt
    expect(ev('copy')).toBe(N);
    expect(ev('dma')).toBe(N);
  });

  test('virtio with EVENT_IDX: one copy per packet, kicks far fewer than packets, each kick an I/O exit', () => {
    const { nic, ev } = runTx('virtio');
    expect(ev('copy')).toBe(N);
    expect(ev('kick')).toBeGreaterThan(0);
    expect(ev('kick')).toBeLessThanOrEqual(N / 8);
    expect(ev('interrupt')).toBeLessThanOrEqual(N / 8);
    expect(ev('vm_exit')).toBe(ev('kick') + 2 * ev('interrupt'));
    expect(nic.tx!.virtioDriver!.kicksSuppressed + nic.tx!.virtioDriver!.kicks).toBe(BATCHES);
  });

  test('virtio without EVENT_IDX still kicks once per published batch (NO_NOTIFY is off between batches)', () => {
    const { nic, ev } = runTx('virtio', { event_idx: false });
    expect(ev('kick')).toBe(BATCHES);
    // the first completion interrupts; the handler sets NO_INTERRUPT until the cleaning is done
    expect(ev('interrupt')).toBe(BATCHES);
    expect((nic.tx!.device as VhostNetTx).vhost.suppressed).toBe(N - BATCHES);
    expect(ev('vm_exit')).toBe(ev('kick') + 2 * ev('interrupt'));
  });
});

describe('TX ring full', () => {
  test.each(['native', 'passthrough', 'emulated', 'virtio'])(
    '%s: a batch larger than the ring drops the excess as tx_ring_full; accounting closes',
    (mode) => {
      const nic = new Nic(mode, { ring_size: 8, direction: 'tx' });
      const ctx = ctxFor(nic);
      const room = mode === 'virtio' ? 8 : 7; // a descriptor ring keeps one slot unused; a virtqueue does not
      for (let k = 0; k < 3; k++) {
        const b = wireBatch(32, 64, k * 32);
        runBatch(nic, b, ctx);
        expect(b.count).toBe(room);
        expectIntact(b);
        expect(nic.tx!.pool.inUse).toBe(0);
      }
      expect(ctx.stats.drops[TX_RING_FULL_REASON]).toBe(3 * (32 - room));
      expect(reasonCode('tx_ring_full')).toBe(TX_RING_FULL_REASON);
      expect(nic.totals.txRingFull).toBe(3 * (32 - room));
      expect(ctx.stats.packetsIn).toBe(96);
      expect(ctx.stats.packetsIn).toBe(ctx.stats.packetsOut + ctx.stats.totalDrops());
    },
  );
});

describe('IOMMU on TX', () => {
  test('a TX DMA read from an unmapped page is refused: iommu_fault drop, the rest goes out, buffers return', () => {
    const nic = new Nic('passthrough', { direction: 'tx' });
    const tx = nic.tx!;
    const d = tx.iommu!;
    // the page holding buffers 0 and 1 (the first two a fresh pool hands out)
    d.unmap(d.busAddr(tx.pool.addr(0)), 4096);
    const ctx = ctxFor(nic);
    const b = wireBatch(4, 64);
    runBatch(nic, b, ctx);
    expect(b.count).toBe(2);
    expect([b.seq(0), b.seq(1)]).toEqual([2, 3]);
    expectIntact(b);
    expect(d.faults).toBe(2);
    expect(d.lastFaultWrite).toBe(false);
    expect(ctx.stats.events[Ev.iommu_fault]).toBe(2);
    expect(ctx.stats.drops[reasonCode('iommu_fault')]).toBe(2);
    expect(ctx.warnings).toBe(1);
    expect(tx.pool.inUse).toBe(0);
    expect(ctx.stats.packetsIn).toBe(ctx.stats.packetsOut + ctx.stats.totalDrops());
  });

  test('TX buffers are mapped read-only: the device cannot write into them', () => {
    const nic = new Nic('passthrough', { direction: 'tx' });
    const tx = nic.tx!;
    const before = Buffer.from(tx.ram.bytes);
    expect(tx.iommu!.write(Buffer.alloc(64, 0xab), 0, 64, tx.iommu!.busAddr(tx.pool.addr(0)))).toBe(false);
    expect(tx.ram.bytes.equals(before)).toBe(true);
  });
});

describe('direction both (a closed-loop chain)', () => {
  test.each(['native', 'passthrough', 'virtio', 'emulated'])(
    '%s: forward batches are received, returning ones transmitted, each with its own queue and totals',
    (mode) => {
      const nic = new Nic(mode, { direction: 'both' });
      const ctx = ctxFor(nic);
      for (let k = 0; k < 4; k++)
        runBatch(
          nic,
          wireBatch(BATCH, (i) => 60 + i, k * BATCH),
          ctx,
        );
      const rxDoorbells = nic.totals.doorbells;
      expect(nic.returnTotals!.doorbells).toBe(0);
      for (let k = 0; k < 3; k++) {
        const b = wireBatch(BATCH, (i) => 60 + ((i * 13) % 1400), k * BATCH);
        nic.processReturn(b, ctx);
        expect(b.count).toBe(BATCH);
        expectIntact(b);
      }
      expect(nic.totals.doorbells).toBe(rxDoorbells); // the return path left the receive totals alone
      expect(nic.returnTotals!.doorbells).toBe(mode === 'virtio' ? 0 : 3);
      expect(nic.returnPath!.pool.inUse).toBe(0);
      const d = nic.describe();
      expect(d.direction).toBe('both');
      expect((d.tx as Record<string, number>).pool_in_use).toBe(0);
      expect(nicMemory(mode, { direction: 'both' }).map((m) => m.what.split(' ')[1])).toEqual(['rx', 'tx']);
    },
  );

  test('rx or tx alone has no return path: a returning batch passes untouched', () => {
    const nic = new Nic('passthrough');
    const ctx = ctxFor(nic);
    const b = wireBatch(8, () => 64, 0);
    nic.processReturn(b, ctx);
    expect(b.count).toBe(8);
    expect(nic.returnPath).toBeNull();
    expect(ctx.stats.events[Ev.dma]).toBe(0);
  });
});
