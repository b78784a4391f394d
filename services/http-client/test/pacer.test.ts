// The transaction rate: one token per 1/rate; lateness within the slack is caught up, beyond it
// the schedule skips ahead and counts what it skipped.

import { TransactionPacer } from '../src';

const MS = 1e6;

test('tokens fall due every 1/rate; a late caller catches up within the slack', () => {
  const p = new TransactionPacer(1000, 20 * MS); // one per ms
  let t = 5000 * MS;
  expect(p.due(t)).toBe(true);
  p.take();
  expect(p.due(t)).toBe(false);
  expect(p.waitMs(t)).toBeCloseTo(1, 6);
  t += 10 * MS; // 10 ms late: 10 tokens due, taken back to back
  let n = 0;
  while (p.due(t)) {
    p.take();
    n++;
  }
  expect(n).toBe(10);
  expect(p.skipped).toBe(0);
});

test('beyond the slack the schedule skips ahead and counts the skipped tokens', () => {
  const p = new TransactionPacer(1000, 20 * MS);
  const t0 = 5000 * MS;
  p.due(t0);
  p.take();
  const t = t0 + 100 * MS; // 100 ms stall: 99 tokens fell due since
  let n = 0;
  while (p.due(t)) {
    p.take();
    n++;
  }
  // only the last 20 ms worth (plus the one due now) start; the rest are counted, not burst
  expect(p.skipped + n).toBe(100);
  expect(n).toBeGreaterThanOrEqual(20);
  expect(n).toBeLessThanOrEqual(21);
});
