// `vnflab reproduce` as a library: every row's schema on a short real run of every finding,
// the verdict following measured and band, name selection, the deterministic Maglev rows, and
// the HTML report's charts (one per row, band shaded) as markup.

import { StageRegistry } from '@vnflab/core';
import { backendsStage } from '@vnflab/backends';
import { firewallStage } from '@vnflab/firewall';
import { httpClientStage } from '@vnflab/http-client';
import { kernelPathStage } from '@vnflab/kernel-path';
import { nicStage } from '@vnflab/nic';
import { trafficGenStage } from '@vnflab/traffic-gen';
import { webServerStage } from '@vnflab/web-server';
import {
  FINDING_NAMES,
  FINDINGS,
  UnknownFindingError,
  renderReproduceHtml,
  rowChart,
  runReproduce,
  selectFindings,
  toRow,
  type Finding,
  type ReproduceReport,
  type ReproRow,
} from '@vnflab/lab';

const registry = (): StageRegistry =>
  new StageRegistry()
    .register(trafficGenStage)
    .register(nicStage)
    .register(kernelPathStage)
    .register(firewallStage)
    .register(backendsStage)
    // the web workload (mtcp-figure1)
    .register(httpClientStage)
    .register(webServerStage);

describe('runReproduce --quick, every finding', () => {
  let report: ReproduceReport;
  const rows: Record<string, ReproRow> = {};
  beforeAll(async () => {
    report = await runReproduce({ registry: registry(), quick: true });
    for (const r of report.rows) rows[r.name] = r;
  }, 120000);

  it('has one row per finding, in the stable order', () => {
    expect(report.rows.map((r) => r.name)).toEqual([...FINDING_NAMES]);
    expect(FINDING_NAMES).toEqual(
      expect.arrayContaining([
        'netmap-per-packet',
        'xdp-drop',
        'xdp-conntrack-drop',
        'irq-vs-poll-latency',
        'eli-posted',
        'eli-exit',
        'virtio-order',
        'virtio-event-idx',
        'maglev-balance',
        'maglev-disruption',
        'mtcp-figure1',
      ]),
    );
  });

  it('every row has the documented schema, an ordered band and a verdict that follows from them', () => {
    for (const r of report.rows) {
      expect(Object.keys(r).sort()).toEqual(
        ['band', 'explanation', 'in_band', 'measured', 'name', 'published', 'setup', 'source', 'unit'].sort(),
      );
      for (const k of ['name', 'source', 'setup', 'unit', 'explanation'] as const)
        expect(r[k].length).toBeGreaterThan(0);
      expect(r.setup).toContain('Lab:');
      expect(Number.isFinite(r.measured)).toBe(true);
      expect(r.published === null || Number.isFinite(r.published)).toBe(true);
      expect(r.band).toHaveLength(2);
      expect(r.band.every(Number.isFinite)).toBe(true);
      expect(r.band[0]).toBeLessThanOrEqual(r.band[1]);
      expect(r.in_band).toBe(r.measured >= r.band[0] && r.measured <= r.band[1]);
    }
    // the JSON round trip keeps every row as it is (no Infinity or NaN turning into null)
    expect(JSON.parse(JSON.stringify(report.rows))).toEqual(report.rows);
  });

  it('a paper figure, where there is one, lies inside its own band', () => {
    for (const r of report.rows)
      if (r.published !== null)
        expect([r.name, r.published >= r.band[0] && r.published <= r.band[1]]).toEqual([r.name, true]);
  });

  it('measures the mechanisms it names: packets dropped by the rule, exits, EVENT_IDX', () => {
    expect(rows['xdp-drop'].explanation).toMatch(/(\d+) of \1 packets dropped by the rule/);
    expect(rows['eli-exit'].explanation).toMatch(
      /exit-based delivery [\d.]+ ns\/packet \(nic [\d.]+; [\d.]+ interrupts, (?!0\.000 )[\d.]+ VM exits per packet\)/,
    ); // exits: some, however many
    expect(rows['eli-posted'].explanation).toMatch(
      /posted interrupts [\d.]+ ns\/packet \(nic [\d.]+; [\d.]+ interrupts, 0\.000 VM exits per packet\)/,
    );
    // suppression is counted, not timed. EVENT_IDX never adds a notification; on the receive side
    // the guest's NAPI poll already keeps notifications off while it works (as Linux's virtio-net
    // does, with or without EVENT_IDX), so on this workload it may save nothing, and then the row
    // says why
    const e = rows['virtio-event-idx'];
    expect(e.measured).toBeLessThanOrEqual(1);
    if (!e.in_band) expect(e.explanation).toMatch(/EVENT_IDX saved nothing here/);
  });

  it('Maglev keeps balance within 1 % and moves about 1/N on a removal; hash mod N moves (N-1)/N', () => {
    expect(rows['maglev-balance'].measured).toBeLessThan(1);
    expect(rows['maglev-balance'].in_band).toBe(true);
    expect(rows['maglev-disruption'].measured).toBeGreaterThan(0.95);
    expect(rows['maglev-disruption'].measured).toBeLessThan(1.5);
    const hashModN = /hash mod N moved ([\d.]+) %/.exec(rows['maglev-disruption'].explanation);
    expect(Number(hashModN?.[1])).toBeGreaterThan(80);
  });

  it('mtcp-figure1 runs the web workload and compares each of the four groups with the paper', () => {
    const r = rows['mtcp-figure1'];
    expect(r.setup).toContain('chains/web.yaml');
    expect(r.setup).toMatch(/[1-9]\d* transactions/);
    for (const g of ['packet I/O', 'kernel w/o TCP/IP', 'TCP/IP', 'application'])
      expect(r.explanation).toMatch(new RegExp(`${g} \\d+\\.\\d % \\(paper \\d+\\.\\d %\\)`));
    expect(r.unit).toContain('%');
  });

  it('the HTML report has one chart per row, each with its band shaded and a bar for the lab', () => {
    const html = renderReproduceHtml(report);
    expect(html.match(/<svg class="finding-chart"/g)).toHaveLength(report.rows.length);
    expect(html.match(/<rect class="band"/g)).toHaveLength(report.rows.length);
    expect(html.match(/<rect class="bar lab"/g)).toHaveLength(report.rows.length);
    expect(html.match(/<rect class="bar paper"/g)).toHaveLength(report.rows.filter((r) => r.published !== null).length);
    expect(html).not.toMatch(/<script|src=|href="http/);
  });
});

describe('rows from findings', () => {
  const finding = (band: [number, number]): Finding => ({
    name: 'x',
    source: 's',
    setup: 'Paper: p.',
    published: 2,
    unit: 'u',
    band,
    bandWhy: 'because.',
    measure: async () => ({ measured: 3, lab: 'l.', inBand: 'inside', miss: 'the mechanism' }),
  });

  it('says the mechanism when the figure misses, and what it rests on when it does not', async () => {
    const miss = toRow(finding([1, 2.5]), await finding([1, 2.5]).measure({} as never));
    expect(miss).toMatchObject({
      in_band: false,
      explanation: 'the mechanism Band: because.',
      setup: 'Paper: p. Lab: l.',
      band: [1, 2.5],
    });
    const hit = toRow(finding([1, 3]), await finding([1, 3]).measure({} as never));
    expect(hit).toMatchObject({ in_band: true, explanation: 'inside Band: because.' });
  });

  it('draws a finding with no paper figure without a paper bar, and a negative figure to the left of 0', () => {
    const svg = rowChart({
      name: 'o',
      source: 's',
      setup: 's',
      published: null,
      measured: -0.5,
      unit: 'position',
      band: [0, 1],
      in_band: false,
      explanation: 'e',
    });
    expect(svg).toContain('an order, no figure');
    expect(svg).not.toContain('bar paper');
    const lab = /<rect class="bar lab" x="([\d.]+)"[^>]* width="([\d.]+)"/.exec(svg)!;
    const band = /<rect class="band" x="([\d.]+)"/.exec(svg)!;
    expect(Number(lab[1]) + Number(lab[2])).toBeCloseTo(Number(band[1]), 0); // ends at 0, where the band starts
  });
});

describe('selectFindings', () => {
  it('takes all, none, or names in report order', () => {
    expect(selectFindings([]).length).toBe(FINDINGS.length);
    expect(selectFindings(['all']).length).toBe(FINDINGS.length);
    expect(selectFindings(['maglev-balance', 'netmap-per-packet']).map((f) => f.name)).toEqual([
      'netmap-per-packet',
      'maglev-balance',
    ]);
  });

  it('refuses an unknown name, listing the known ones', () => {
    expect(() => selectFindings(['netmap', 'xdp-drop'])).toThrow(UnknownFindingError);
    expect(() => selectFindings(['netmap'])).toThrow(
      `unknown finding "netmap" (known: ${FINDING_NAMES.join(', ')}, all)`,
    );
  });
});
