import { performance } from 'node:perf_hooks';
import { MaglevTable, populate, slotCounts, isPrime, nearestPrimes, h1, h2, type Member } from '@vnflab/lb';

const M = 65537;
const named = (n: number, weight = (_i: number) => 1): Member[] =>
  Array.from({ length: n }, (_, i) => ({ id: i, name: `backend-${i + 1}`, weight: weight(i) }));

describe('Maglev table (NSDI 2016 §3.4)', () => {
  test('balance: for M = 65537 and N = 3..100 equal backends, each owns M/N within 1 %', () => {
    const table = new Int32Array(M);
    let worst = 0;
    for (let n = 3; n <= 100; n++) {
      populate(table, M, named(n));
      const counts = slotCounts(table);
      expect(counts.size).toBe(n);
      let filled = 0;
      for (const c of counts.values()) {
        const dev = Math.abs(c - M / n) / (M / n);
        worst = Math.max(worst, dev);
        expect(dev).toBeLessThanOrEqual(0.01);
        filled += c;
      }
      expect(filled).toBe(M); // every slot has an owner
    }
    console.log(`maglev balance, M=${M}, N=3..100: worst deviation from M/N = ${(worst * 100).toFixed(3)} %`);
  });

  test('balance with weights: shares follow weights within 1 % (backends owning >= 100 slots)', () => {
    const table = new Int32Array(M);
    const cases: number[][] = [
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      [100, 100, 50, 0, 25],
      Array.from({ length: 40 }, (_, i) => 10 + ((i * 397) % 991)),
      [1000, 1],
    ];
    let worst = 0;
    for (const ws of cases) {
      populate(
        table,
        M,
        named(ws.length, (i) => ws[i]),
      );
      const counts = slotCounts(table);
      const total = ws.reduce((a, b) => a + b, 0);
      ws.forEach((w, i) => {
        const ideal = (M * w) / total;
        const got = counts.get(i) ?? 0;
        if (w === 0) return expect(got).toBe(0); // drained: no slots
        if (ideal >= 100) {
          const dev = Math.abs(got - ideal) / ideal;
          worst = Math.max(worst, dev);
          expect(dev).toBeLessThanOrEqual(0.01);
        } else {
          expect(Math.abs(got - ideal)).toBeLessThanOrEqual(1);
        }
      });
    }
    console.log(`maglev weighted balance: worst deviation ${(worst * 100).toFixed(3)} %`);
  });

  test('the table depends on the set of backends, not the order they were given in', () => {
    const a = new Int32Array(M);
    const b = new Int32Array(M);
    const ms = named(7);
    populate(a, M, ms);
    populate(b, M, [...ms].reverse());
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  test('each preference list is a permutation of the slots (skip coprime with prime M)', () => {
    const m = 251;
    for (const name of ['web-1', 'web-2', 'a', 'backend-77']) {
      const offset = h1(name) % m;
      const skip = (h2(name) % (m - 1)) + 1;
      const seen = new Set<number>();
      for (let j = 0; j < m; j++) seen.add((offset + j * skip) % m);
      expect(seen.size).toBe(m);
    }
  });

  test('no eligible backend leaves the table empty (-1), and picks answer -1', () => {
    const t = new MaglevTable(M);
    const wall0 = performance.now();
    t.rebuild([]);
    const wallNs = (performance.now() - wall0) * 1e6;
    const firstBuildNs = t.lastBuildNs;
    expect(t.pick(12345)).toBe(-1);
    t.rebuild(named(3, () => 0));
    expect(t.pick(12345)).toBe(-1);
    expect(slotCounts(t.mapping()).size).toBe(0); // no slot has an owner
    expect(t.rebuilds).toBe(2);
    // build times are measured: even an empty build writes all M slots (so it takes time), it
    // cannot take longer than the call around it, and the total is the sum of the builds
    expect(firstBuildNs).toBeGreaterThan(0);
    expect(firstBuildNs).toBeLessThanOrEqual(wallNs);
    expect(t.totalBuildNs).toBe(firstBuildNs + t.lastBuildNs);
  });

  test('a non-prime table size is rejected with a message that names the key and suggests primes', () => {
    expect(() => new MaglevTable(65536)).toThrow(/table_size: 65536 is not prime.*65521 and 65537/);
    expect(() => new MaglevTable(2)).toThrow(/table_size: 2 is out of range/);
    expect(() => new MaglevTable(1.5)).toThrow(/not an integer/);
    expect(isPrime(65537)).toBe(true);
    expect(isPrime(65535)).toBe(false);
    expect(nearestPrimes(100)).toEqual({ below: 97, above: 101 });
    // other primes work
    const t = new MaglevTable(5003);
    t.rebuild(named(5));
    const counts = slotCounts(t.mapping());
    expect(counts.size).toBe(5);
    // equal backends take one slot per turn until the table is full: M/N each, +-1
    for (const c of counts.values()) expect(Math.abs(c - 5003 / 5)).toBeLessThanOrEqual(1);
  });
});
