// The web workload's figure as text: one stacked bar per row beside the paper's, each group's
// glyph as wide as its share, and the groups more than 8 points off the paper named.

import {
  formatHttpBreakdown,
  stackedBar,
  type HttpBreakdownReport,
  type HttpRow,
} from '../src/breakdown/http-breakdown';
import { PUBLISHED } from '../src/breakdown/published';

const row = (preset: string, share: HttpRow['cpu_share']): HttpRow => ({
  preset,
  transactions: 1000,
  duration_s: 1,
  transactions_per_s: 1000,
  cpu_us_per_transaction: 40,
  transactions_per_s_per_core: 25_000,
  cpu_share: share,
  us_per_transaction_by_category: {},
  events_per_transaction: { syscall: 6, context_switch: 0.5, interrupt: 0.25 },
  server_stages: ['nic', 'kernel-path', 'web-server'],
  accounting_closed: true,
  drops: {},
});

describe('stackedBar', () => {
  test('each group takes its share of the width, in the figure order', () => {
    const bar = stackedBar({ packet_io: 0.1, kernel_without_tcpip: 0.5, tcpip: 0.2, application: 0.2 }, 20);
    expect(bar).toBe('##==========++++....');
  });
  test("the paper's bar", () => {
    const bar = stackedBar(PUBLISHED.mtcp.shares, 50);
    expect(bar).toHaveLength(50);
    expect(bar.split('').filter((c) => c === '.').length).toBe(8); // 16.7 % of 50
  });
});

describe('formatHttpBreakdown', () => {
  const report: HttpBreakdownReport = {
    workload: 'http',
    profile: 'linux-3.10-xeon',
    published: { source: 'mTCP', shares: { ...PUBLISHED.mtcp.shares }, us_per_transaction: 26.7 },
    rows: [
      row('linux', { packet_io: 0.05, kernel_without_tcpip: 0.3, tcpip: 0.35, application: 0.3 }),
      row('user-tcp', { packet_io: 0.2, kernel_without_tcpip: 0.05, tcpip: 0.4, application: 0.35 }),
    ],
  };
  const text = formatHttpBreakdown(report);
  test('a line per row with its shares, µs and transactions per core', () => {
    expect(text).toMatch(/^mTCP Linux +[#=+.]{50} +4\.5 +45\.3 +33\.6 +16\.7 +26\.7 +37453$/m);
    expect(text).toMatch(/^linux +[#=+.]{50} +5\.0 +30\.0 +35\.0 +30\.0 +40\.0 +25000$/m);
    expect(text).toMatch(/^user-tcp /m);
  });
  test('names the linux groups more than 8 points from the paper, and only those', () => {
    expect(text).toContain('more than 8 points from the paper: kernel 30.0 % vs 45.3 %, application 30.0 % vs 16.7 %');
    expect(text).not.toMatch(/TCP\/IP 35\.0 % vs/);
  });
  test('per transaction: system calls, context switches, interrupts', () => {
    expect(text).toContain('per transaction: 6.00 system calls, 0.50 context switches, 0.25 interrupts');
  });
});
