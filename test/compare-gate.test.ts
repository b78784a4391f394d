// `vnflab compare --repeat N` and the regression gate (`--baseline REPORT.json --max-regression
// PCT`) on real short embedded compares: every trial kept, medians with their spread, exit 1
// naming each figure that regressed, 0 when none did, 2 naming the flag for a bad baseline.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompareReport, CompareResult } from '@vnflab/lab';
import { vnflab } from './helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-compare-gate-'));
const short = ['--stage', 'nic', '--variants', 'passthrough,virtio', '--warmup', '0.1', '--duration', '0.2'];
const first = join(dir, 'first');
let report: CompareReport;

beforeAll(() => {
  const r = vnflab(['compare', ...short, '--repeat', '3', '--out', first]);
  if (r.status !== 0) throw new Error(`compare failed (${r.status}): ${r.stderr}`);
  report = JSON.parse(readFileSync(join(first, 'report.json'), 'utf8')) as CompareReport;
  // three trials per variant, each on the progress line; the table shows median (min–max)
  expect(r.stderr).toMatch(/compare: \[6\/6\] 100% nic=virtio 64 B \(trial 3\/3\): /);
  expect(r.stdout).toMatch(/^passthrough\s+64 B\s+\S+ k? ?\(.+–.+\)/m);
}, 120000);

/** A copy of the first report with every result's figures changed by `f`. */
function baselineFrom(name: string, f: (x: CompareResult) => CompareResult): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...report, results: report.results.map(f) }));
  return path;
}

test('--repeat 3: every trial in report.json, each figure the median of its trials with min and max', () => {
  expect(report.settings.repeat).toBe(3);
  expect(report.results.map((x) => x.variant)).toEqual(['passthrough', 'virtio']);
  for (const x of report.results) {
    const rep = x.repeat!;
    expect(rep.n).toBe(3);
    expect(rep.trials).toHaveLength(3);
    for (const t of rep.trials) {
      expect(t.variant).toBe(x.variant);
      expect(t.received).toBeGreaterThan(0);
    }
    // the reported figure is the middle trial's value, between the smallest and the largest
    const pps = rep.trials.map((t) => t.packets_per_second).sort((a, b) => a - b);
    expect(x.packets_per_second).toBe(pps[1]);
    expect(rep.spread.packets_per_second).toEqual({ median: pps[1], min: pps[0], max: pps[2] });
    const p99 = rep.trials.map((t) => t.latency_seconds.p99).sort((a, b) => a - b);
    expect(x.latency_seconds.p99).toBe(p99[1]);
    const ns = rep.trials.map((t) => t.cpu.stage_ns_per_packet).sort((a, b) => a - b);
    expect(rep.spread['cpu.stage_ns_per_packet']).toEqual({ median: ns[1], min: ns[0], max: ns[2] });
    expect(Object.keys(x.cpu.stages_ns_per_packet)).toEqual(['nic', 'kernel-path', 'lb']);
  }
  const md = readFileSync(join(first, 'report.md'), 'utf8');
  expect(md).toContain('Each figure is the median of 3 trials, the spread (min–max) beside it');
  expect(md).toMatch(/^\| virtio \| 64 B \| [^|]+ \([^|]+–[^|]+\) \|/m);
});

test('--baseline: exit 1 with one line per figure that regressed beyond --max-regression', () => {
  // a baseline 100 times better in every gated figure: each of them regressed
  const better = baselineFrom('better', (x) => ({
    ...x,
    packets_per_second: x.packets_per_second * 100,
    latency_seconds: { ...x.latency_seconds, p99: x.latency_seconds.p99 / 100 },
    cpu: {
      ...x.cpu,
      stages_ns_per_packet: Object.fromEntries(
        Object.entries(x.cpu.stages_ns_per_packet).map(([s, v]) => [s, v / 100]),
      ),
    },
  }));
  const r = vnflab(['compare', ...short, '--out', join(dir, 'worse'), '--baseline', better, '--max-regression', '50']);
  expect(r.status).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('vnflab: regressed: '));
  for (const v of ['passthrough', 'virtio'])
    for (const figure of [
      'packets/s (packets_per_second)',
      'p99 latency (latency_seconds.p99)',
      'nic CPU per packet (cpu.stages_ns_per_packet.nic)',
      'kernel-path CPU per packet (cpu.stages_ns_per_packet.kernel-path)',
      'lb CPU per packet (cpu.stages_ns_per_packet.lb)',
    ])
      expect(lines.filter((l) => l.startsWith(`vnflab: regressed: nic=${v} 64 B: ${figure} `))).toHaveLength(1);
  expect(lines).toHaveLength(10);
  expect(lines[0]).toMatch(/pps -> .*pps, -9\d\.\d %, beyond 50 %$/);
}, 60000);

test('--baseline: exit 0 when no figure is worse than the baseline by more than the limit', () => {
  // a baseline no run can fall behind: 1 packet/s, 1000 s p99, a second of CPU per packet
  const worse = baselineFrom('worse', (x) => ({
    ...x,
    packets_per_second: 1,
    latency_seconds: { ...x.latency_seconds, p99: 1000 },
    cpu: { ...x.cpu, stages_ns_per_packet: { nic: 1e9, 'kernel-path': 1e9, lb: 1e9 } },
  }));
  const r = vnflab(['compare', ...short, '--out', join(dir, 'fine'), '--baseline', worse, '--max-regression', '5']);
  expect(r.status).toBe(0);
  expect(r.stderr).toContain(`vnflab: no figure regressed beyond 5 % against ${worse} (10 figures compared)`);
  expect(r.stderr).not.toContain('regressed:');
}, 60000);

test.each([
  [
    ['--baseline', join(dir, 'missing.json'), '--max-regression', '10'],
    `--baseline: cannot read ${join(dir, 'missing.json')}: ENOENT`,
  ],
  [['--baseline', join(__dirname, 'compare-gate.test.ts'), '--max-regression', '10'], '--baseline: '],
  [['--baseline', join(__dirname, '..', 'package.json'), '--max-regression', '10'], 'is not a vnflab compare report'],
  [['--max-regression', '10'], '--max-regression needs --baseline REPORT.json'],
  [['--baseline', 'x.json'], '--baseline needs --max-regression PCT'],
  [['--repeat', '0'], '--repeat'],
])('bad gate usage %j: exit 2, one line naming the flag, nothing run', (args, msg) => {
  const r = vnflab(['compare', '--stage', 'nic', ...args, '--out', join(dir, 'never')]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(msg);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
});
