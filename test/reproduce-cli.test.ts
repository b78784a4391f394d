// `vnflab reproduce` end to end: an unknown name is one line naming the known ones (exit 2); a
// --quick run of two rows writes the table, the JSON and the HTML report, which opens in
// headless Chromium with one chart per row, its band shaded, and nothing loaded from outside.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReproduceReport } from '@vnflab/lab';
import { HAVE_CHROMIUM, openInChromium } from './helpers/chromium';
import { vnflab } from './helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-reproduce-'));
const json = join(dir, 'reproduce.json');
const html = join(dir, 'reproduce.html');
let run: ReturnType<typeof vnflab>;

beforeAll(() => {
  run = vnflab(['reproduce', 'maglev-disruption', 'xdp-drop', '--quick', '--json', json, '--html', html]);
}, 120000);

test('an unknown finding is bad usage: one line naming every known finding, exit 2', () => {
  const r = vnflab(['reproduce', 'xdp-drop', 'netmap']);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^vnflab: unknown finding "netmap" \(known: netmap-per-packet, xdp-drop, .*maglev-disruption, mtcp-figure1, all\)$/,
  );
});

test('an output file in a directory that does not exist is refused before measuring, exit 2', () => {
  const r = vnflab(['reproduce', 'maglev-balance', '--json', join(dir, 'missing', 'r.json')]);
  expect(r.status).toBe(2);
  expect(r.stderr.trim()).toBe(`vnflab: --json: directory ${join(dir, 'missing')} does not exist`);
});

test('a --quick run of two rows exits 0 with the table and a JSON row each, in report order', () => {
  expect(run.stderr).toMatch(/\[2\/2\] maglev-disruption: /);
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^finding\s+paper\s+lab\s+lab\/paper\s+band\s+verdict/);
  expect(run.stdout).toMatch(/^xdp-drop\s+9\.06\s/m);
  expect(run.stdout).toMatch(/^maglev-disruption\s+1\.00\s/m);
  const report = JSON.parse(readFileSync(json, 'utf8')) as ReproduceReport;
  expect(report.rows.map((r) => r.name)).toEqual(['xdp-drop', 'maglev-disruption']);
  expect(report.quick).toBe(true);
  for (const r of report.rows) {
    expect(typeof r.measured).toBe('number');
    expect(r.band[0]).toBeLessThanOrEqual(r.band[1]);
    expect(r.in_band).toBe(r.measured >= r.band[0] && r.measured <= r.band[1]);
  }
  expect(report.rows[0]).toMatchObject({ published: 43.5 / 4.8, band: [5, 15] });
});

(HAVE_CHROMIUM ? test : test.skip)(
  'the HTML report opens in headless Chromium with one chart per row and its band shaded',
  async () => {
    const { page, problems, context: ctx } = await openInChromium(html);
    try {
      const charts = await page.evaluate(() => {
        // runs in the page: the DOM, typed just enough here (the tests compile without lib.dom)
        type El = {
          getBoundingClientRect(): { width: number; height: number };
          getAttribute(n: string): string | null;
          querySelector(s: string): El | null;
        };
        const document = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<El> } })
          .document;
        return [...document.querySelectorAll('svg.finding-chart')].map((svg) => {
          const band = svg.querySelector('rect.band');
          const lab = svg.querySelector('rect.bar.lab');
          return {
            name: svg.getAttribute('data-finding'),
            width: svg.getBoundingClientRect().width,
            bandWidth: band?.getBoundingClientRect().width ?? 0,
            bandOpacity: Number(band?.getAttribute('fill-opacity') ?? 0),
            labWidth: lab?.getBoundingClientRect().width ?? 0,
            paper: svg.querySelector('rect.bar.paper') !== null,
          };
        });
      });
      await page.screenshot({ path: join(dir, 'reproduce.png'), fullPage: true });
      expect(problems).toEqual([]);
      expect(charts.map((c) => c.name)).toEqual(['xdp-drop', 'maglev-disruption']);
      for (const c of charts) {
        expect(c.width).toBeGreaterThan(300);
        expect(c.bandWidth).toBeGreaterThan(5);
        expect(c.bandOpacity).toBeGreaterThan(0);
        expect(c.bandOpacity).toBeLessThan(1);
        expect(c.labWidth).toBeGreaterThan(0);
        expect(c.paper).toBe(true);
      }
      console.log(`reproduce report and screenshot in ${dir}`);
    } finally {
      await ctx.close();
    }
  },
  60000,
);
