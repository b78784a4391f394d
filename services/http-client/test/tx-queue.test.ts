// The frame queue: frames come out in order and whole across the ring's wrap; a full queue
// refuses (the TCP endpoint counts tx_no_room) instead of overwriting.

import { Batch } from '@vnflab/core';
import { TxQueue } from '../src';

function put(q: TxQueue, len: number, mark: number): boolean {
  const slot = { buf: new Uint8Array(0), off: 0 };
  if (!q.reserve(len, slot)) return false;
  slot.buf.fill(mark, slot.off, slot.off + len);
  q.commit(len);
  return true;
}

function take(q: TxQueue, capacity: number): { len: number; mark: number; whole: boolean }[] {
  const b = Batch.allocate(capacity);
  q.drainInto(b);
  const out = [];
  for (let i = 0; i < b.count; i++) {
    const f = b.buf.subarray(b.offset(i), b.offset(i) + b.length(i));
    out.push({ len: f.length, mark: f[0], whole: f.every((x) => x === f[0]) });
  }
  return out;
}

test('frames leave in order and whole, across the wrap of the byte ring', () => {
  const q = new TxQueue(1000, 16);
  expect(put(q, 400, 1)).toBe(true);
  expect(put(q, 400, 2)).toBe(true);
  expect(put(q, 400, 3)).toBe(false); // 200 bytes left at the end, none before the oldest
  expect(q.refused).toBe(1);
  expect(take(q, 1)).toEqual([{ len: 400, mark: 1, whole: true }]);
  // room only at the start now (the tail has 200 bytes): the frame wraps
  expect(put(q, 300, 3)).toBe(true);
  expect(put(q, 150, 4)).toBe(false); // 300..400 is free but 150 does not fit before frame 2
  expect(put(q, 100, 4)).toBe(true);
  expect(take(q, 8)).toEqual([
    { len: 400, mark: 2, whole: true },
    { len: 300, mark: 3, whole: true },
    { len: 100, mark: 4, whole: true },
  ]);
  expect(q.count).toBe(0);
});

test('the entry ring bounds the frames too', () => {
  const q = new TxQueue(10_000, 3);
  for (let k = 0; k < 3; k++) expect(put(q, 10, k)).toBe(true);
  expect(put(q, 10, 9)).toBe(false);
  expect(take(q, 2).map((f) => f.mark)).toEqual([0, 1]);
  expect(put(q, 10, 3)).toBe(true);
  expect(take(q, 8).map((f) => f.mark)).toEqual([2, 3]);
});
