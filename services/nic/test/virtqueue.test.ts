// The split virtqueue against VIRTIO 1.x "Split Virtqueues": layout, byte offsets, index
// wrap-around and vring_need_event.

import { GuestMemory, Mempool } from '@vnflab/core';
import { Ev } from '../src/events';
import { DirectDma } from '../src/dma';
import { HarvestQueue } from '../src/harvest-queue';
import { VhostBackend } from '../src/vhost-backend';
import { VirtioNetRxDriver } from '../src/virtio-driver';
import {
  SplitVirtqueue,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_USED_F_NO_NOTIFY,
  virtqLayout,
  vringNeedEvent,
} from '../src/virtqueue';
import { Nic } from '../src/nic';
import { ctxFor, expectIntact, runBatch, wireBatch } from './helpers';

const align = (x: number, a: number): number => Math.ceil(x / a) * a;

describe('virtqueue layout', () => {
  test.each([1, 2, 8, 256, 1024, 32768])('Q=%i: parts, sizes and alignment follow the spec formulas', (q) => {
    const l = virtqLayout(q);
    expect(l.desc).toBe(0);
    expect(l.descBytes).toBe(16 * q);
    expect(l.avail).toBe(16 * q);
    expect(l.availBytes).toBe(6 + 2 * q);
    expect(l.avail % 2).toBe(0);
    expect(l.used).toBe(align(16 * q + 6 + 2 * q, 4));
    expect(l.usedBytes).toBe(6 + 8 * q);
    expect(l.used % 4).toBe(0);
    expect(l.total).toBe(l.used + 6 + 8 * q);
  });

  test('legacy layout (used ring on a 4096 boundary) matches vring_size()', () => {
    // vring_size(num, align) = ALIGN(16*num + 2*(3+num), align) + 2*3 + 8*num, worked by hand
    expect(virtqLayout(256, 4096).total).toBe(10246);
    expect(virtqLayout(1024, 4096).total).toBe(28678);
    expect(virtqLayout(256, 4096).used).toBe(8192);
  });

  test('sizes that are not powers of two, or above 32768, are refused', () => {
    for (const q of [0, 3, 100, 65536]) expect(() => virtqLayout(q)).toThrow(/power of two/);
  });

  test('every field lands at its spec offset, little endian, byte by byte', () => {
    const q = 8;
    const mem = Buffer.alloc(4096, 0xee);
    const base = 512;
    const vq = new SplitVirtqueue(mem, base, q);
    const A = base + 16 * q; // avail
    const U = base + align(16 * q + 6 + 2 * q, 4); // used
    // struct virtq_desc { le64 addr; le32 len; le16 flags; le16 next; } at base + 16*i
    vq.setDesc(3, 0x1122334455, 0x0800, VIRTQ_DESC_F_WRITE, 0x0102);
    expect([...mem.subarray(base + 48, base + 64)]).toEqual([
      0x55, 0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0x00, 0x08, 0, 0, 0x02, 0x00, 0x02, 0x01,
    ]);
    // struct virtq_avail { le16 flags; le16 idx; le16 ring[Q]; le16 used_event; }
    vq.availFlags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    vq.availIdx = 0xabcd;
    vq.setAvailRing(0xabcd, 5); // slot 0xabcd % 8 = 5
    vq.usedEvent = 0x1234;
    expect([...mem.subarray(A, A + 4)]).toEqual([0x01, 0x00, 0xcd, 0xab]);
    expect(mem.readUInt16LE(A + 4 + 2 * 5)).toBe(5);
    expect([...mem.subarray(A + 4 + 2 * q, A + 6 + 2 * q)]).toEqual([0x34, 0x12]);
    // struct virtq_used { le16 flags; le16 idx; { le32 id; le32 len; } ring[Q]; le16 avail_event; }
    vq.usedFlags = VIRTQ_USED_F_NO_NOTIFY;
    vq.usedIdx = 0x0102;
    vq.setUsedElem(0x0102, 7, 0x3c); // slot 2
    vq.availEvent = 0xfedc;
    expect([...mem.subarray(U, U + 4)]).toEqual([0x01, 0x00, 0x02, 0x01]);
    expect([...mem.subarray(U + 4 + 16, U + 4 + 24)]).toEqual([7, 0, 0, 0, 0x3c, 0, 0, 0]);
    expect([...mem.subarray(U + 4 + 8 * q, U + 6 + 8 * q)]).toEqual([0xdc, 0xfe]);
    // nothing outside the queue was touched
    expect(mem.subarray(0, base).every((b) => b === 0xee)).toBe(true);
    expect(mem.subarray(U + 6 + 8 * q).every((b) => b === 0xee)).toBe(true);
  });
});

describe('vring_need_event', () => {
  test.each([
    // event, new, old, notify?   notify iff event is in [old, new) modulo 2^16
    [0, 1, 0, true],
    [1, 1, 0, false],
    [5, 10, 3, true],
    [3, 10, 3, true],
    [9, 10, 3, true],
    [10, 10, 3, false],
    [2, 10, 3, false],
    [7, 7, 7, false], // nothing new
    // across the wrap at 65536
    [65535, 2, 65530, true],
    [65530, 2, 65530, true],
    [1, 2, 65530, true],
    [2, 2, 65530, false],
    [65529, 2, 65530, false],
    [0, 0, 65535, false],
    [65535, 0, 65535, true],
  ])('event %i, new %i, old %i -> %s', (event, nw, old, want) => {
    expect(vringNeedEvent(event, nw, old)).toBe(want);
  });
});

describe('virtqueue driver and vhost backend', () => {
  function pair(q: number, eventIdx: boolean) {
    const mem = new GuestMemory(64 * 1024 + 2 * q * 2048);
    const base = mem.carve(virtqLayout(q).total, 4096);
    const vq = new SplitVirtqueue(mem.bytes, base, q);
    const pool = new Mempool(mem, 2 * q);
    const port = new DirectDma(mem);
    const drv = new VirtioNetRxDriver(vq, pool, port, eventIdx);
    const dev = new VhostBackend(vq, port, eventIdx);
    return { mem, vq, pool, drv, dev };
  }

  test('free-running indices wrap past 65535 and every buffer comes back intact', () => {
    const { vq, pool, drv, dev, mem } = pair(16, true);
    expect(drv.refill()).toBe(1); // the first fill kicks
    drv.enableCb();
    const src = Buffer.alloc(64);
    const q = new HarvestQueue(16);
    let sent = 0;
    let wrapped = false;
    while (sent < 70000) {
      dev.begin();
      for (let k = 0; k < 10; k++) {
        src.writeUInt32LE(sent, 0);
        if (dev.rx(src, 0, 64) < 0) throw new Error(`no buffer at ${sent}`);
        sent++;
      }
      q.reset();
      drv.disableCb();
      if (drv.harvest(q) !== 10) throw new Error(`harvested ${q.n} at ${sent}`);
      for (let k = 0; k < q.n; k++) {
        if (mem.bytes.readUInt32LE(pool.addr(q.buf[k])) !== sent - 10 + k || q.len[k] !== 64)
          throw new Error(`wrong buffer at ${sent}`);
        pool.put(q.buf[k]);
      }
      drv.refill();
      drv.enableCb();
      if (vq.usedIdx < 10 && sent > 65536) wrapped = true;
    }
    expect(wrapped).toBe(true);
    expect(vq.usedIdx).toBe(70000 & 0xffff);
    expect(dev.usedIndex).toBe(70000 & 0xffff);
    expect(drv.lastUsedIndex).toBe(70000 & 0xffff);
    expect(vq.availIdx).toBe((70000 + 16) & 0xffff);
  });

  test('EVENT_IDX: one interrupt per burst of 32; without it, one per buffer', () => {
    for (const eventIdx of [true, false]) {
      const { pool, drv, dev } = pair(256, eventIdx);
      drv.refill();
      drv.enableCb();
      const q = new HarvestQueue(256);
      const src = Buffer.alloc(64);
      for (let burst = 0; burst < 100; burst++) {
        dev.begin();
        for (let k = 0; k < 32; k++) dev.rx(src, 0, 64);
        q.reset();
        drv.disableCb();
        drv.harvest(q);
        for (let k = 0; k < q.n; k++) pool.put(q.buf[k]);
        drv.refill();
        drv.enableCb();
      }
      if (eventIdx) {
        expect(dev.notifications).toBe(100);
        expect(dev.suppressed).toBe(3100);
      } else {
        expect(dev.notifications).toBe(3200);
        expect(dev.suppressed).toBe(0);
      }
      // the device never ran out of buffers, so it never asked for a kick after the first fill
      expect(drv.kicks).toBe(1);
      expect(drv.kicksSuppressed).toBe(100);
    }
  });

  test('a device that runs out of buffers asks for a kick (avail_event) and gets exactly one', () => {
    const { pool, drv, dev } = pair(8, true);
    drv.refill();
    drv.enableCb();
    const src = Buffer.alloc(64);
    dev.begin();
    for (let k = 0; k < 8; k++) expect(dev.rx(src, 0, 64)).toBeGreaterThanOrEqual(0);
    expect(dev.rx(src, 0, 64)).toBe(-1); // no buffer
    expect(dev.noBuffer).toBe(1);
    const q = new HarvestQueue(8);
    drv.harvest(q);
    for (let k = 0; k < q.n; k++) pool.put(q.buf[k]);
    expect(drv.refill()).toBe(1);
    expect(drv.kicks).toBe(2);
  });
});

describe('virtio mode end to end', () => {
  test('70,000 packets through a queue of 256: indices wrap, nothing lost, bytes intact', () => {
    const nic = new Nic('virtio', { ring_size: 256 });
    const ctx = ctxFor(nic);
    let out = 0;
    for (let b = 0; b < 70000 / 32 + 1 && out < 70000; b++) {
      const n = Math.min(32, 70000 - b * 32);
      const batch = wireBatch(n, 60 + (b % 7), b * 32);
      out += runBatch(nic, batch, ctx).out;
      expectIntact(batch);
    }
    expect(out).toBe(70000);
    expect(nic.vq!.usedIdx).toBe(70000 & 0xffff);
    expect(ctx.stats.events[Ev.copy]).toBe(70000);
  });
});
