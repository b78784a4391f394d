// The IOMMU domain: translation page by page, and refusal of DMA to unmapped or read-only pages
// with no byte outside the mapping ever written - as a unit and inside the passthrough NIC.

import { createHash } from 'node:crypto';
import { GuestMemory, PAGE_SIZE } from '@vnflab/core';
import { Ev } from '../src/events';
import { IOMMU_READ, IOMMU_WRITE, IommuDomain } from '../src/iommu';
import { IOMMU_FAULT_REASON, IOVA_BASE, Nic } from '../src/nic';
import { ctxFor, expectIntact, runBatch, wireBatch } from './helpers';

/** Hash of every guest page no IOVA maps writable: what a device must never change. */
function outsideHash(mem: GuestMemory, d: IommuDomain): string {
  const h = createHash('sha256');
  for (let p = 0; p < mem.size / PAGE_SIZE; p++)
    if (!d.gpaPageWritable(p)) h.update(mem.bytes.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
  return h.digest('hex');
}

function scribble(mem: GuestMemory, d: IommuDomain): void {
  for (let p = 0; p < mem.size / PAGE_SIZE; p++) {
    if (d.gpaPageWritable(p)) continue;
    for (let j = 0; j < PAGE_SIZE; j++) mem.bytes[p * PAGE_SIZE + j] = (p * 131 + j * 17) & 0xff;
  }
}

describe('IommuDomain', () => {
  const base = 0x100000;

  test('translates page by page: a DMA across a page boundary lands in two unrelated guest pages', () => {
    const mem = new GuestMemory(8 * PAGE_SIZE);
    const d = new IommuDomain(mem, base, 4);
    d.map(base, 5 * PAGE_SIZE, PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
    d.map(base + PAGE_SIZE, 2 * PAGE_SIZE, PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
    const src = Buffer.from(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(d.write(src, 0, 100, base + PAGE_SIZE - 40)).toBe(true);
    expect([...mem.bytes.subarray(6 * PAGE_SIZE - 40, 6 * PAGE_SIZE)]).toEqual([...src.subarray(0, 40)]);
    expect([...mem.bytes.subarray(2 * PAGE_SIZE, 2 * PAGE_SIZE + 60)]).toEqual([...src.subarray(40)]);
    const back = Buffer.alloc(100);
    expect(d.read(back, 0, 100, base + PAGE_SIZE - 40)).toBe(true);
    expect(back.equals(src)).toBe(true);
    expect(d.translate(base + 10, IOMMU_WRITE)).toBe(5 * PAGE_SIZE + 10);
    expect(d.translate(base - 1, IOMMU_READ)).toBe(-1);
    expect(d.faults).toBe(0);
  });

  test('unmapped, read-only, out-of-window and half-mapped DMAs are refused whole and counted', () => {
    const mem = new GuestMemory(8 * PAGE_SIZE);
    const d = new IommuDomain(mem, base, 4);
    d.map(base, 0, PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
    d.map(base + PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, IOMMU_READ);
    const src = Buffer.alloc(64, 0xab);
    const before = Buffer.from(mem.bytes);
    expect(d.write(src, 0, 64, base + 3 * PAGE_SIZE)).toBe(false); // unmapped
    expect(d.write(src, 0, 64, base + PAGE_SIZE + 8)).toBe(false); // read-only
    expect(d.write(src, 0, 64, base + PAGE_SIZE - 32)).toBe(false); // spans writable and read-only
    expect(d.write(src, 0, 64, 0)).toBe(false); // a guest-physical address is not an IOVA
    expect(d.write(src, 0, 64, base + 4 * PAGE_SIZE)).toBe(false); // past the window
    expect(d.faults).toBe(5);
    expect(mem.bytes.equals(before)).toBe(true);
    expect(d.read(Buffer.alloc(64), 0, 64, base + PAGE_SIZE)).toBe(true); // reading read-only is fine
    d.unmap(base, PAGE_SIZE);
    expect(d.write(src, 0, 64, base)).toBe(false);
    expect(d.gpaPageWritable(0)).toBe(false);
    expect(() => d.map(base + 1, 0, PAGE_SIZE, IOMMU_WRITE)).toThrow(/aligned/);
    expect(() => d.map(base, 0, 9 * PAGE_SIZE, IOMMU_WRITE)).toThrow(/outside/);
  });
});

describe('passthrough NIC behind the IOMMU', () => {
  test('the guest driver maps only its ring and buffers; descriptors carry IOVAs', () => {
    const nic = new Nic('passthrough', { ring_size: 64 });
    const d = nic.iommu!;
    expect(d).not.toBeNull();
    expect(nic.ring!.addr(0)).toBe(IOVA_BASE + nic.pool.addr(0));
    const pages = nic.ram.size / PAGE_SIZE;
    let writable = 0;
    for (let p = 0; p < pages; p++) if (d.gpaPageWritable(p)) writable++;
    expect(writable).toBe(Math.ceil((64 * 16) / PAGE_SIZE) + (128 * 2048) / PAGE_SIZE);
    expect(writable).toBeLessThan(pages);
  });

  test('DMA into unmapped and read-only buffers is refused, counted, logged once per burst, dropped; nothing outside the mapping changes', () => {
    const nic = new Nic('passthrough', { ring_size: 64 });
    const d = nic.iommu!;
    const pool = nic.pool;
    // the guest driver's mapping goes wrong: buffers 0-1 (one page) unmapped, buffers 2-3 read-only
    d.unmap(d.busAddr(pool.addr(0)), PAGE_SIZE);
    d.map(d.busAddr(pool.addr(2)), pool.addr(2), PAGE_SIZE, IOMMU_READ);
    scribble(nic.ram, d);
    const hash = outsideHash(nic.ram, d);
    const ctx = ctxFor(nic);

    const b = wireBatch(32, 1200);
    runBatch(nic, b, ctx);
    expect(ctx.stats.events[Ev.iommu_fault]).toBe(4);
    expect(ctx.stats.drops[IOMMU_FAULT_REASON]).toBe(4);
    expect(ctx.warnings).toBe(1);
    expect(b.count).toBe(28);
    expectIntact(b);
    expect([...Array(b.count)].map((_, i) => b.seq(i))).toEqual([...Array(28)].map((_, i) => i + 4));

    // the errored buffers are recycled and the device keeps faulting on them, burst after burst
    for (let k = 0; k < 20; k++) {
      const bb = wireBatch(32, 64 + k * 50, 1000 * (k + 1));
      runBatch(nic, bb, ctx);
      expectIntact(bb);
    }
    const faults = ctx.stats.events[Ev.iommu_fault];
    expect(faults).toBeGreaterThan(4);
    expect(ctx.warnings).toBeLessThanOrEqual(21);
    expect(nic.metrics().find((m) => m.name === 'vnflab_iommu_faults_total')!.samples[0].value).toBe(faults);
    expect(ctx.stats.packetsIn).toBe(ctx.stats.packetsOut + ctx.stats.totalDrops());
    expect(outsideHash(nic.ram, d)).toBe(hash);
  });

  test('with the mapping removed altogether every packet faults and no guest byte changes', () => {
    const nic = new Nic('passthrough', { ring_size: 32 });
    const d = nic.iommu!;
    d.unmap(d.busAddr(nic.pool.base), nic.pool.count * nic.pool.bufSize);
    scribble(nic.ram, d);
    const hash = outsideHash(nic.ram, d);
    const ctx = ctxFor(nic);
    const b = wireBatch(16, 1500);
    runBatch(nic, b, ctx);
    expect(b.count).toBe(0);
    expect(ctx.stats.events[Ev.iommu_fault]).toBe(16);
    expect(ctx.warnings).toBe(1);
    expect(outsideHash(nic.ram, d)).toBe(hash);
  });

  test('a vIOMMU in virtio mode guards the backend copy the same way', () => {
    const nic = new Nic('virtio', { ring_size: 64, iommu: true });
    const d = nic.iommu!;
    d.map(d.busAddr(nic.pool.addr(0)), nic.pool.addr(0), PAGE_SIZE, IOMMU_READ);
    scribble(nic.ram, d);
    const hash = outsideHash(nic.ram, d);
    const ctx = ctxFor(nic);
    const b = wireBatch(32, 100);
    runBatch(nic, b, ctx);
    expect(ctx.stats.events[Ev.iommu_fault]).toBe(2);
    expect(b.count).toBe(30);
    expectIntact(b);
    expect(outsideHash(nic.ram, d)).toBe(hash);
  });
});
