// The web workload's figure as a person sees it: the HTML report opened in headless Chromium
// draws one stacked bar per row (the paper's first), each group as wide as its share, with no
// console errors and nothing loaded from outside the file.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PUBLISHED, renderHttpBreakdownHtml, type HttpBreakdownReport, type HttpRow } from '@vnflab/lab';
import { HAVE_CHROMIUM, openInChromium } from './helpers/chromium';

const row = (preset: string, share: HttpRow['cpu_share']): HttpRow => ({
  preset,
  transactions: 500,
  duration_s: 1,
  transactions_per_s: 500,
  cpu_us_per_transaction: 100,
  transactions_per_s_per_core: 10_000,
  cpu_share: share,
  us_per_transaction_by_category: {},
  events_per_transaction: {},
  server_stages: ['nic', 'kernel-path', 'web-server'],
  accounting_closed: true,
  drops: {},
});

const report: HttpBreakdownReport = {
  workload: 'http',
  profile: 'linux-3.10-xeon',
  published: { source: 'mTCP <Figure 1>', shares: { ...PUBLISHED.mtcp.shares }, us_per_transaction: 26.7 },
  rows: [
    row('linux', { packet_io: 0.1, kernel_without_tcpip: 0.2, tcpip: 0.5, application: 0.2 }),
    row('user-tcp', { packet_io: 0.05, kernel_without_tcpip: 0.05, tcpip: 0.6, application: 0.3 }),
  ],
};

(HAVE_CHROMIUM ? describe : describe.skip)('breakdown --workload http --html in Chromium', () => {
  test('three stacked bars, widths proportional to the shares, text escaped, no problems', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vnflab-http-html-')), 'r.html');
    writeFileSync(file, renderHttpBreakdownHtml(report));
    const { page, problems, context } = await openInChromium(file);
    try {
      const bars = await page.$$eval('svg rect title', (ts) => ts.map((t) => t.textContent));
      expect(bars).toEqual([
        'mTCP: Linux 3.10: packet I/O 4.5 %',
        'mTCP: Linux 3.10: kernel 45.3 %',
        'mTCP: Linux 3.10: TCP/IP 33.6 %',
        'mTCP: Linux 3.10: application 16.7 %',
        'linux: packet I/O 10.0 %',
        'linux: kernel 20.0 %',
        'linux: TCP/IP 50.0 %',
        'linux: application 20.0 %',
        'user-tcp: packet I/O 5.0 %',
        'user-tcp: kernel 5.0 %',
        'user-tcp: TCP/IP 60.0 %',
        'user-tcp: application 30.0 %',
      ]);
      // the linux row's TCP/IP bar is 2.5 times its kernel bar, as 50 % is to 20 %
      const widths = await page.$$eval('svg rect', (rs) =>
        rs.filter((r) => r.querySelector('title')).map((r) => r.getBoundingClientRect().width),
      );
      expect(widths[6] / widths[5]).toBeCloseTo(2.5, 2);
      expect(await page.textContent('body')).toContain('mTCP <Figure 1>');
      expect(await page.$$eval('tbody tr', (rs) => rs.length)).toBe(3);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
