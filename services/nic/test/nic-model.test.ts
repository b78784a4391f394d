// The shared NIC model in core: guest memory, mempool and the 82599 legacy RX descriptor ring.

import {
  BUF_SIZE,
  GuestMemory,
  Mempool,
  PAGE_SIZE,
  RX_DESC_SIZE,
  RXD_STAT_DD,
  RXD_STAT_EOP,
  RxDescRing,
} from '@vnflab/core';

describe('GuestMemory', () => {
  test('rounds up to pages and carves aligned, non-overlapping regions', () => {
    const m = new GuestMemory(10000);
    expect(m.size).toBe(3 * PAGE_SIZE);
    const a = m.carve(100, 64);
    const b = m.carve(10, 4096);
    const c = m.carve(1, 16);
    expect(a).toBe(0);
    expect(b).toBe(4096);
    expect(c).toBe(4112);
    expect(() => m.carve(PAGE_SIZE * 3)).toThrow(/exhausted/);
    expect(() => m.carve(8, 3)).toThrow(/power of two/);
  });
});

describe('Mempool', () => {
  test('hands out 2 KiB buffers in address order, takes them back, refuses double frees', () => {
    const m = new GuestMemory(8 * BUF_SIZE);
    const p = new Mempool(m, 8);
    expect(p.bufSize).toBe(2048);
    const got = Array.from({ length: 8 }, () => p.get());
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(got.map((i) => p.addr(i))).toEqual(got.map((i) => p.base + i * 2048));
    expect(p.get()).toBe(-1);
    expect(p.available).toBe(0);
    p.put(5);
    expect(() => p.put(5)).toThrow(/not handed out/);
    expect(() => p.put(99)).toThrow(/not handed out/);
    expect(p.get()).toBe(5);
    expect(p.indexOf(p.addr(3) + 100)).toBe(3);
    expect(p.indexOf(p.base + 8 * 2048)).toBe(-1);
  });
});

describe('RxDescRing (82599 legacy descriptors)', () => {
  test('descriptor bytes: address at 0 (LE u64), length at 8, status DD|EOP at 12, errors at 13', () => {
    const m = new GuestMemory(4096);
    const base = m.carve(8 * RX_DESC_SIZE, 16);
    const r = new RxDescRing(m.bytes, base, 8);
    expect(r.post(0x1_2345_6789)).toBe(true);
    const d = m.bytes.subarray(base, base + 16);
    expect([...d.subarray(0, 8)]).toEqual([0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0]);
    expect([...d.subarray(8, 16)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    r.writeTail();
    expect(r.deviceFetch()).toBe(0);
    r.deviceWriteBack(0, 0x05dc, 0);
    expect(d.readUInt16LE(8)).toBe(1500);
    expect(d[12]).toBe(RXD_STAT_DD | RXD_STAT_EOP);
    expect(d[13]).toBe(0);
    expect(r.addr(0)).toBe(0x1_2345_6789);
    expect(r.harvest()).toBe(0);
    expect(r.harvest()).toBe(-1);
  });

  test('head/tail ownership: the driver posts size-1, the device stops at tail, indices wrap', () => {
    const m = new GuestMemory(4096);
    const r = new RxDescRing(m.bytes, 0, 8);
    let posted = 0;
    while (r.post(0x1000 + posted * 2048)) posted++;
    expect(posted).toBe(7);
    expect(r.deviceAvailable).toBe(0); // nothing is the device's until the doorbell
    expect(r.deviceFetch()).toBe(-1);
    r.writeTail();
    expect(r.tail).toBe(7);
    expect(r.deviceAvailable).toBe(7);
    for (let k = 0; k < 7; k++) r.deviceWriteBack(r.deviceFetch(), 60, 0);
    expect(r.deviceFetch()).toBe(-1); // full: the next frame is rx_missed
    expect(r.completed).toBe(7);
    for (let round = 0; round < 5; round++) {
      let h = 0;
      while (r.harvest() >= 0) h++;
      expect(h).toBeGreaterThan(0);
      while (r.post(0x1000)) h--;
      expect(h).toBe(0);
      r.writeTail();
      let got = 0;
      for (let s = r.deviceFetch(); s >= 0; s = r.deviceFetch()) {
        r.deviceWriteBack(s, 60, 0);
        got++;
      }
      expect(got).toBe(7);
    }
    expect(() => new RxDescRing(m.bytes, 0, 12)).toThrow(/power of two/);
    expect(() => new RxDescRing(m.bytes, 8, 8)).toThrow(/aligned/);
  });
});
