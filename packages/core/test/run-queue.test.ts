// The kernel's run-queue statistics of this process's event loop (/proc/self/schedstat).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunQueue } from '../src/cpu/run-queue';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-schedstat-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('reads the three counters: ns on a CPU, ns waiting for one, periods run', () => {
  expect(readRunQueue(file('ok', '2209923 41000 17\n'))).toEqual({ runNs: 2209923, waitNs: 41000, periods: 17 });
});

test('no file, too few fields or garbage: null, not a crash or a NaN', () => {
  expect(readRunQueue(join(dir, 'absent'))).toBeNull();
  expect(readRunQueue(file('short', '123 456\n'))).toBeNull();
  expect(readRunQueue(file('text', 'a b c\n'))).toBeNull();
  expect(readRunQueue(file('negative', '1 -2 3\n'))).toBeNull();
});

const linux = readRunQueue() !== null;
(linux ? test : test.skip)("this process's counters grow as it sleeps and wakes", async () => {
  const a = readRunQueue()!;
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 5));
  const b = readRunQueue()!;
  expect(b.periods).toBeGreaterThanOrEqual(a.periods + 5); // each timer wake-up is a period on a CPU
  expect(b.runNs).toBeGreaterThan(a.runNs);
});
