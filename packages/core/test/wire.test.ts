// The bus's wire form of a batch: every field survives the round trip, frames of any length and
// alignment, and anything that is not exactly one batch is refused with the reason.

import {
  Batch,
  BatchFormatError,
  BatchPool,
  decodeBatch,
  encodeBatch,
  BatchEncoder,
  CLOCK_DOMAIN,
  WIRE_HEADER_LEN,
  WIRE_META_LEN,
} from '../src';

function sample(lengths: number[]): Batch {
  const b = Batch.allocate(lengths.length + 3, 1518); // spare slots and room do not travel
  lengths.forEach((len, n) => {
    const i = b.append(len);
    for (let k = 0; k < len; k++) b.buf[b.offset(i) + k] = (n * 31 + k) & 0xff;
    b.setFlowHash(i, 0x9e3779b9 + n);
    b.setFlowId(i, n * 7);
    b.setSeq(i, 2 ** 40 + n);
    b.setGenNs(i, 123456789.5 + n);
  });
  b.drop(1, 5);
  b.chainId = 0xdeadbeef;
  b.stageIndex = 3;
  b.interrupts = 2;
  b.batchId = 2 ** 52 + 1;
  b.enqueueNs = 987654321;
  b.createdNs = 987650000;
  return b;
}

function expectSame(a: Batch, b: Batch): void {
  expect([b.count, b.chainId, b.stageIndex, b.interrupts, b.batchId, b.enqueueNs, b.createdNs]).toEqual([
    a.count,
    a.chainId,
    a.stageIndex,
    a.interrupts,
    a.batchId,
    a.enqueueNs,
    a.createdNs,
  ]);
  for (let i = 0; i < a.count; i++) {
    expect([b.length(i), b.reason(i), b.flowHash(i), b.flowId(i), b.seq(i), b.genNs(i)]).toEqual([
      a.length(i),
      a.reason(i),
      a.flowHash(i),
      a.flowId(i),
      a.seq(i),
      a.genNs(i),
    ]);
    expect(
      b.buf
        .subarray(b.offset(i), b.offset(i) + b.length(i))
        .equals(a.buf.subarray(a.offset(i), a.offset(i) + a.length(i))),
    ).toBe(true);
  }
}

describe('batch wire form', () => {
  test('round trip keeps every field and byte; only what is used travels', () => {
    const lengths = [60, 61, 1, 1514, 63, 64, 0, 59];
    const b = sample(lengths);
    const wire = encodeBatch(b);
    expect(wire.length).toBe(WIRE_HEADER_LEN + lengths.length * WIRE_META_LEN + lengths.reduce((x, y) => x + y, 0));
    const back = decodeBatch(wire);
    expectSame(b, back);
    // decoded frames get headroom again, so an element can still encapsulate in place
    expect(back.offset(0)).toBeGreaterThanOrEqual(back.dataStart + 32);
  });

  test('decodes from any byte alignment (Redis replies are slices of a socket buffer)', () => {
    const b = sample([60, 60, 61, 60]);
    const wire = encodeBatch(b);
    for (let shift = 1; shift < 4; shift++) {
      const host = Buffer.alloc(wire.length + shift);
      wire.copy(host, shift);
      expectSame(b, decodeBatch(host.subarray(shift)));
    }
  });

  test('an encoder hands out a buffer of its own per batch, reuses one given back, and grows for a larger batch', () => {
    const e = new BatchEncoder(2);
    const first = e.encode(sample([60]));
    const second = e.encode(sample([60]));
    expect(second.buffer).not.toBe(first.buffer); // both in flight at once
    e.give(first);
    const again = e.encode(sample([50]));
    expect(again.buffer).toBe(first.buffer); // it fits: reused
    expectSame(sample([50]), decodeBatch(Buffer.from(again)));
    e.give(again);
    const big = e.encode(sample([1500, 1500, 1500]));
    expect(big.buffer).not.toBe(first.buffer); // too small for it
    expectSame(sample([1500, 1500, 1500]), decodeBatch(Buffer.from(big)));
    expect(Buffer.from(second).equals(Buffer.from(encodeBatch(sample([60]))))).toBe(true);
  });

  test("decodes into a pool's batch when the packets fit, over whatever that batch held before", () => {
    const pool = new BatchPool(4, 1518);
    const used = decodeBatch(encodeBatch(sample([1500, 1400, 1300, 1200])), pool);
    expect(used.capacity).toBe(4); // the pool's
    pool.put(used);
    const back = decodeBatch(encodeBatch(sample([60, 61])), pool);
    expect(back).toBe(used);
    expectSame(sample([60, 61]), back);
    // more packets than the pool's batches hold, or a longer frame: a batch of its own
    const many = decodeBatch(encodeBatch(sample([60, 60, 60, 60, 60])), pool);
    expect(many.capacity).toBe(5);
    expectSame(sample([60, 60, 60, 60, 60]), many);
    const small = new BatchPool(4, 128);
    const long = decodeBatch(encodeBatch(sample([60, 200])), small);
    expect(small.allocated).toBe(0);
    expectSame(sample([60, 200]), long);
    // given back, a batch made for fewer or shorter packets stays out of the pool
    pool.put(many);
    pool.put(decodeBatch(encodeBatch(sample([60, 60, 60, 60]))));
    expect(pool.available).toBe(0);
  });

  test("the NIC's interrupt count crosses the wire in its own bytes, next to the stage index", () => {
    for (const n of [0, 1, 2, 0x1234, 0xffff]) {
      const b = sample([60, 60]);
      b.interrupts = n;
      const back = decodeBatch(encodeBatch(b));
      expect([back.interrupts, back.stageIndex, back.batchId]).toEqual([n, 3, 2 ** 52 + 1]);
    }
    const b = sample([60]);
    b.interrupts = 70000; // more than a u16: saturates rather than wrapping to a small count
    expect(b.interrupts).toBe(0xffff);
    b.interrupts = -1;
    expect(b.interrupts).toBe(0);
  });

  test('a reused batch starts with no interrupt count', () => {
    const pool = new BatchPool(4);
    const b = pool.get();
    b.append(60);
    b.interrupts = 5;
    pool.put(b);
    const again = pool.get();
    expect(again).toBe(b);
    expect([again.count, again.interrupts]).toEqual([0, 0]);
    expect(Batch.allocate(2).interrupts).toBe(0);
  });

  test('an empty batch travels', () => {
    const b = Batch.allocate(4);
    b.batchId = 9;
    const back = decodeBatch(encodeBatch(b));
    expect([back.count, back.batchId]).toEqual([0, 9]);
  });

  test.each([
    ['short', (w: Buffer) => w.subarray(0, 10), /shorter than its 48 B header/],
    ['bad magic', (w: Buffer) => (w.writeUInt32BE(0x12345678, 0), w), /bad magic/],
    ['other version', (w: Buffer) => ((w[4] = 9), w), /unsupported batch wire version 9/],
    ['count too large', (w: Buffer) => (w.writeUInt16BE(60000, 6), w), /needs .* B of headers/],
    ['truncated frames', (w: Buffer) => w.subarray(0, w.length - 1), /add up to/],
    ['trailing bytes', (w: Buffer) => Buffer.concat([w, Buffer.alloc(3)]), /add up to/],
  ])('refuses %s with the reason', (_name, spoil, why) => {
    const wire = Buffer.from(encodeBatch(sample([60, 60, 60])));
    expect(() => decodeBatch(spoil(wire))).toThrow(BatchFormatError);
    expect(() => decodeBatch(spoil(Buffer.from(encodeBatch(sample([60, 60, 60])))))).toThrow(why);
  });
});

describe('clock domains', () => {
  test('a batch stamped here is here after the round trip', () => {
    const b = decodeBatch(encodeBatch(sample([60, 60])));
    expect([b.enqueueClock, b.createdClock]).toEqual([CLOCK_DOMAIN, CLOCK_DOMAIN]);
    expect([b.enqueuedHere, b.createdHere]).toEqual([true, true]);
  });

  test("another host's stamps travel as they are and decode as not here", () => {
    const other = (CLOCK_DOMAIN ^ 0x5a5a) >>> 0 || 3;
    const a = sample([60]);
    a.enqueueClock = other;
    a.createdClock = other;
    const b = decodeBatch(encodeBatch(a));
    expect([b.enqueueClock, b.createdClock]).toEqual([other, other]);
    expect([b.enqueuedHere, b.createdHere]).toEqual([false, false]);
    expect(b.enqueueNs).toBe(a.enqueueNs); // the time itself still travels
  });

  test('a batch nobody stamped is not here (0 is no clock)', () => {
    const b = Batch.allocate(4);
    expect([b.enqueueClock, b.createdClock, b.enqueuedHere, b.createdHere]).toEqual([0, 0, false, false]);
  });
});
