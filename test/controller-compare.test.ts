// `vnflab compare` in embedded mode: report.md, report.json and report.html with the documented
// structure, an NDR search and a set rate; one-line errors for bad names; and the HTML report
// in headless Chromium — no console errors, every chart drawn, a screenshot kept.

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompareReport } from '@vnflab/lab';
import { HAVE_CHROMIUM, openInChromium } from './helpers/chromium';
import { vnflab } from './helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-compare-'));
const GROUPS = ['packet_io', 'kernel_without_tcpip', 'tcpip', 'application', 'lab_transport', 'host'];
const short = ['--warmup', '0.2', '--duration', '0.4'];

let report: CompareReport;
const out = join(dir, 'nic');

beforeAll(() => {
  const r = vnflab([
    'compare',
    '--stage',
    'nic',
    '--variants',
    'passthrough,virtio,emulated',
    '--size',
    '64,1500',
    ...short,
    '--out',
    out,
  ]);
  if (r.status !== 0) throw new Error(`compare failed (${r.status}): ${r.stderr}`);
  report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CompareReport;
  // the non-TTY progress: one line per step with an ETA
  expect(r.stderr).toMatch(/compare: \[0\/6\] 0% 6 steps of about/);
  expect(r.stderr).toMatch(/compare: \[6\/6\] 100% nic=emulated 1500 B: .*pps.*, ETA 0s/);
  expect(r.stdout).toMatch(/^variant\s+size\s+packets\/s/);
}, 120000);

test('report.json has the documented structure, one result per variant and size', () => {
  expect(report).toMatchObject({
    kind: 'vnflab-compare',
    version: 1,
    mode: 'embedded',
    chain: 'default',
    stage: 'nic',
    variants: ['passthrough', 'virtio', 'emulated'],
    sizes: [64, 1500],
  });
  expect(report.settings).toEqual({
    rate_pps: 0,
    ndr: null,
    warmup_s: 0.2,
    duration_s: 0.4,
    batch_size: 64,
    repeat: 1,
  });
  expect(report.results.map((r) => `${r.variant}/${r.size}`)).toEqual([
    'passthrough/64',
    'passthrough/1500',
    'virtio/64',
    'virtio/1500',
    'emulated/64',
    'emulated/1500',
  ]);
  for (const r of report.results) {
    expect(r.window_s).toBeGreaterThan(0);
    expect(r.packets_per_second).toBeGreaterThan(0);
    expect(r.received).toBeGreaterThan(0);
    expect(r.drops_total).toBe(0);
    expect(Object.keys(r.cpu.chain_share).sort()).toEqual([...GROUPS].sort());
    expect(Object.values(r.cpu.chain_share).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(r.cpu.stage_ns_per_packet).toBeGreaterThan(0);
    expect(r.cpu.stage_seconds).toHaveProperty('packet_io');
    // KVM's host threads (vhost-net, QEMU's e1000) bill host; passthrough has none on its path
    if (r.variant === 'passthrough') expect(r.cpu.stage_seconds.host).toBe(0);
    else expect(r.cpu.stage_seconds.host).toBeGreaterThan(0);
    expect(r.events_per_packet.dma).toBeCloseTo(1, 6); // every packet is one DMA into guest memory
    const l = r.latency_seconds;
    expect(l.count).toBeGreaterThan(0);
    expect(l.p50).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);
    expect(l.cdf[l.cdf.length - 1][1]).toBe(1);
  }
  // the mechanisms show in the events: virtio and emulated copy every packet, passthrough does not
  const at = (v: string): CompareReport['results'][number] =>
    report.results.find((r) => r.variant === v && r.size === 64)!;
  expect(at('passthrough').events_per_packet.copy ?? 0).toBe(0);
  expect(at('virtio').events_per_packet.copy).toBeCloseTo(1, 6);
  expect(at('emulated').events_per_packet.vm_exit).toBeGreaterThan(0);
});

test('report.md has every section, with a row per result', () => {
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  for (const h of [
    '# vnflab compare: nic — passthrough, virtio, emulated',
    '## Packets per second',
    '## End-to-end latency',
    '## CPU share of nic',
    '## CPU share of every stage under test',
    '## Events per packet (nic)',
    '## Drops',
  ])
    expect(md).toContain(h);
  expect(md.match(/^\| virtio \| 1500 B \|/gm)?.length).toBeGreaterThanOrEqual(5);
});

test("--ndr searches each variant's highest lossless rate, bounded", () => {
  const o = join(dir, 'ndr');
  const r = vnflab([
    'compare',
    '--stage',
    'nic',
    '--variants',
    'passthrough',
    '--ndr',
    '--max-iterations',
    '2',
    '--warmup',
    '0.1',
    '--duration',
    '0.3',
    '--out',
    o,
  ]);
  expect(r.status).toBe(0);
  const rep = JSON.parse(readFileSync(join(o, 'report.json'), 'utf8')) as CompareReport;
  expect(rep.settings).toMatchObject({ rate_pps: null, ndr: { resolution: 0.02, max_iterations: 2 } });
  const n = rep.results[0].ndr!;
  expect(n.max_pps).toBeGreaterThan(0);
  expect(n.trials.length).toBeGreaterThan(0);
  expect(n.trials.length).toBeLessThanOrEqual(2);
  expect(n.rate_pps).toBeLessThanOrEqual(n.max_pps);
  for (const t of n.trials) {
    expect(t.passed).toBe(t.drops === 0 && t.not_sent === 0);
    expect(t.p99_s).toBeGreaterThan(0); // every trial received packets, so it has a p99
    if (t.passed) continue;
    // offered = rate x the window as measured, which runs a few ms either side of --duration
    const m = /^lost (\d+) of (\d+)$/.exec(t.failed?.join('; ') ?? '');
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(t.drops + t.not_sent);
    expect(Math.abs(Number(m![2]) / (t.rate_pps * 0.3) - 1)).toBeLessThan(0.05);
  }
  const md = readFileSync(join(o, 'report.md'), 'utf8');
  expect(md).toContain('## NDR search');
  expect(md).toMatch(/- passthrough 64 B: NDR .* \(\d+\/\d+, p99 [\d.]+ (ms|µs)\) (pass|fail)/);
}, 60000);

test('--rate offers a set rate', () => {
  const o = join(dir, 'rate');
  const r = vnflab(['compare', '--stage', 'kernel-path', '--rate', '20000', ...short, '--out', o]);
  expect(r.status).toBe(0);
  const rep = JSON.parse(readFileSync(join(o, 'report.json'), 'utf8')) as CompareReport;
  expect(rep.variants).toEqual(['kernel', 'bypass']); // every variant by default
  expect(rep.results.every((x) => x.rate_pps === 20000 && typeof x.not_sent === 'number')).toBe(true);
}, 60000);

test.each([
  [['--stage', 'nick'], /^vnflab: --stage: unknown stage "nick" \(stages to compare: nic, kernel-path, lb\)\n$/],
  [['--stage', 'traffic-gen'], /--stage: traffic-gen is the lab's instrument, not a stage under test/],
  [
    ['--stage', 'nic', '--variants', 'passthrough,turbo'],
    /^vnflab: --variants: nic has no variant "turbo" \(variants: passthrough, native, virtio, emulated\)\n$/,
  ],
  [['--stage', 'nic', '--rate', '1000', '--ndr'], /give --rate or --ndr, not both/],
  [['--stage', 'nic', '--pdr', '1.5'], /--pdr: 1.5 is above the maximum 1/],
  [['--stage', 'nic', '--pdr', '0'], /--pdr: 0 is not a fraction between 0 and 1/],
  [['--stage', 'nic', '--ndr', '--pdr', '0.01'], /give --ndr \(no loss\) or --pdr RATIO \(a fraction lost\), not both/],
  [
    ['--stage', 'nic', '--rate', '1000', '--max-latency', '5'],
    /give --rate or a search \(--ndr, --pdr, --max-latency\), not both/,
  ],
  [['--stage', 'nic', '--size', '64,9000'], /--size: 9000 is above the maximum 1518/],
  [
    ['--stage', 'nic', '--controller', 'http://127.0.0.1:1'],
    /compose mode needs both --controller URL and --prometheus URL/,
  ],
  [['--variants', 'virtio'], /--stage is required/],
])('bad usage %j is one clear line, exit 2', (args, msg) => {
  const r = vnflab(['compare', ...args, '--out', join(dir, 'never')]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(msg);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(existsSync(join(dir, 'never'))).toBe(false);
});

(HAVE_CHROMIUM ? test : test.skip)(
  'the HTML report opens in headless Chromium with no console errors and its charts drawn',
  async () => {
    const { page, problems, context: ctx } = await openInChromium(join(out, 'report.html'));
    try {
      await page.waitForSelector('body[data-rendered="true"]', { timeout: 15000 });
      const charts = await page.evaluate(() => {
        // runs in the page: the DOM, typed just enough here (the tests compile without lib.dom)
        type El = {
          getBoundingClientRect(): { width: number; height: number };
          getAttribute(n: string): string | null;
        };
        const document = (
          globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<El> & { length: number } } }
        ).document;
        const box = (sel: string): { svgs: number; w: number; h: number } => {
          const svgs = [...document.querySelectorAll(`${sel} svg`)];
          const r = svgs[0]?.getBoundingClientRect();
          return { svgs: svgs.length, w: r?.width ?? 0, h: r?.height ?? 0 };
        };
        const bars = (sel: string): number =>
          [...document.querySelectorAll(`${sel} rect.bar`)].filter((r) => Number(r.getAttribute('height')) > 1).length;
        return {
          pps: { ...box('#chart-pps'), bars: bars('#chart-pps') },
          cpu: { ...box('#chart-cpu'), slices: document.querySelectorAll('#chart-cpu .slice').length },
          cdf: {
            ...box('#chart-cdf'),
            lines: [...document.querySelectorAll('#chart-cdf path.cdf-line')].map(
              (p) => (p.getAttribute('d') ?? '').split('L').length,
            ),
          },
          events: { ...box('#chart-events'), bars: bars('#chart-events') },
        };
      });
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
      expect(problems).toEqual([]);
      expect(charts.pps).toMatchObject({ svgs: 1, bars: 6 });
      expect(charts.cpu.svgs).toBe(12); // a pie per result for the chain, and one for the nic alone
      expect(charts.cpu.slices).toBeGreaterThanOrEqual(12);
      expect(charts.cdf.svgs).toBe(1);
      expect(charts.cdf.lines).toHaveLength(6);
      for (const n of charts.cdf.lines) expect(n).toBeGreaterThan(2);
      expect(charts.events.svgs).toBe(1);
      expect(charts.events.bars).toBeGreaterThanOrEqual(6);
      for (const c of [charts.pps, charts.cpu, charts.cdf, charts.events]) {
        expect(c.w).toBeGreaterThan(100);
        expect(c.h).toBeGreaterThan(100);
      }
      expect(existsSync(join(dir, 'report.png'))).toBe(true);
      console.log(`compare report and screenshot in ${dir}`);
    } finally {
      await ctx.close();
    }
  },
  60000,
);
