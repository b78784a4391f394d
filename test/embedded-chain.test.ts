// The embedded chain end to end: accounting closes and latency percentiles are positive and
// ordered, through the CLI (JSON summary) and through the library.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateChain } from '@vnflab/core';
import { createRegistry, runChain } from '@vnflab/cli';
import { vnflab } from './helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-chain-'));

function expectSane(s: {
  sent: number;
  received: number;
  drops_total: number;
  accounting_closed: boolean;
  latency_seconds: Record<string, number>;
}): void {
  expect(s.sent).toBeGreaterThan(0);
  expect(s.accounting_closed).toBe(true);
  expect(s.sent).toBe(s.received + s.drops_total);
  const l = s.latency_seconds;
  expect(l.p50).toBeGreaterThan(0);
  expect(l.p50).toBeLessThanOrEqual(l.p90);
  expect(l.p90).toBeLessThanOrEqual(l.p99);
  expect(l.p99).toBeLessThanOrEqual(l.max);
}

describe('embedded chain', () => {
  test('vnflab run --count: the JSON summary closes its accounting and has the documented fields', () => {
    const json = join(dir, 'count.json');
    const r = vnflab(['run', '--count', '50000', '--quiet', '--json', json]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('accounting closes');
    const s = JSON.parse(readFileSync(json, 'utf8'));
    expectSane(s);
    expect(s.sent).toBe(50000);
    for (const k of ['sent', 'received', 'duplicates', 'drops', 'throughput_pps', 'latency_seconds', 'stages'])
      expect(s).toHaveProperty(k);
    expect(s.throughput_pps).toBeGreaterThan(0);
    // the process's waits for a CPU over the run, from the kernel, in seconds (not its ns); a run
    // this short may never have been off its core, so only the shape and the unit are checked
    expect(s.run_queue).toEqual({ wait_seconds: expect.any(Number), periods: expect.any(Number) });
    expect(s.run_queue.wait_seconds).toBeLessThan(s.duration_s);
    expect(r.stdout).toMatch(
      /^waiting for a CPU \(the kernel's run queue\): the chain's process [\d.]+ % of the run /m,
    );
    for (const st of s.stages) {
      expect(st).toHaveProperty('cpu_seconds');
      expect(Object.values(st.cpu_seconds).some((v) => (v as number) > 0)).toBe(true);
    }
  });

  test('a rate-limited run for a duration, IMIX, Zipf flows, TCP', async () => {
    const reg = createRegistry();
    const chain = validateChain(
      {
        name: 't',
        profile: 'zero',
        stages: [
          {
            stage: 'traffic-gen',
            settings: { proto: 'tcp', size: 'imix', flows: 500, distribution: 'zipf', rate: 20000, duration: 1 },
          },
          { stage: 'backends' },
        ],
      },
      reg,
    );
    const { summary } = await runChain(chain, reg);
    expectSane(summary);
    // 20 kpps for 1 s: the schedule offers about 20,000, never more than rate x time + one batch;
    // what a loaded machine could not send in time is counted as not sent, never lost
    expect(summary.offered).toBeGreaterThan(10000);
    expect(summary.offered).toBeLessThanOrEqual(20000 + 64);
    expect(summary.sent + summary.not_sent!).toBe(summary.offered);
    // the part of it the generator lost to its own lateness is a part, never more
    expect(summary.not_sent_late).toBeLessThanOrEqual(summary.not_sent!);
    expect(typeof summary.not_sent_late).toBe('number');
    expect(summary.sent).toBeGreaterThan(0);
    const det = summary.stages[1].details as { flows_seen: number; reordered: number };
    expect(det.flows_seen).toBeGreaterThan(10);
    expect(det.reordered).toBe(0);
  });

  test('stop() drains every packet in flight and the accounting still closes', async () => {
    const reg = createRegistry();
    const chain = validateChain(
      { name: 't', profile: 'zero', stages: [{ stage: 'traffic-gen' }, { stage: 'backends' }] },
      reg,
    );
    const { summary } = await runChain(chain, reg, { onStart: (c) => setTimeout(() => c.stop(), 300) });
    expectSane(summary);
  });

  test('replaying a capture with original timing keeps its pacing', async () => {
    const pcap = join(dir, 'paced.pcap');
    expect(vnflab(['gen', '--count', '10', '--out', pcap]).status).toBe(0);
    const json = join(dir, 'replay.json');
    const r = vnflab(['run', '--pcap-in', pcap, '--pcap-timing', 'original', '--quiet', '--json', json]);
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(json, 'utf8'));
    expectSane(s);
    expect(s.sent).toBe(10);
  });
});
