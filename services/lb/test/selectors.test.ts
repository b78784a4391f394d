import { HashModN, RoundRobin, type Member } from '@vnflab/lb';

const m = (ws: number[]): Member[] => ws.map((weight, i) => ({ id: i, name: `b${i}`, weight }));

describe('round-robin and hash mod N', () => {
  test('round-robin takes turns; with weights it interleaves smoothly (nginx)', () => {
    const rr = new RoundRobin();
    rr.rebuild(m([1, 1, 1]));
    expect(Array.from({ length: 6 }, () => rr.pick(0))).toEqual([0, 1, 2, 0, 1, 2]);
    rr.rebuild(m([5, 1, 1]));
    expect(Array.from({ length: 7 }, () => rr.pick(0))).toEqual([0, 0, 1, 0, 2, 0, 0]);
    rr.rebuild(m([0, 2, 0]));
    expect(Array.from({ length: 3 }, () => rr.pick(0))).toEqual([1, 1, 1]);
    rr.rebuild([]);
    expect(rr.pick(0)).toBe(-1);
    expect(rr.mapping()).toBeNull();
  });

  test('hash mod N: live[hash mod N], drained backends skipped, weights otherwise ignored', () => {
    const h = new HashModN(101);
    h.rebuild(m([1, 0, 7, 1]));
    expect([0, 1, 2, 3, 4, 5].map((x) => h.pick(x))).toEqual([0, 2, 3, 0, 2, 3]);
    expect(h.mapping()).toHaveLength(101);
  });
});
