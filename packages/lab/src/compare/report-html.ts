// report.html: one self-contained page — the report JSON embedded, charts drawn by an inline
// script as SVG (packets/s bars, CPU-share pies side by side, latency CDFs, events per packet),
// the Markdown report's tables below. Nothing is loaded from anywhere (the page's CSP says so).

import { knownEvents } from '@vnflab/core';
import { GROUP_LABELS, fig, pct, pps, seconds, sizeLabel, guestHostNs } from './format';

const n0 = (v: number): string => v.toFixed(0);
import type { CompareReport } from './model';
import { rateSetting, repeatNote } from './report-md';
import { REPORT_SCRIPT } from './report-html-script';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe inside <script>: no "</script>", no U+2028/2029. */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c, i) => `<td${i >= 2 ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1100px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; } .chart, .cpu { overflow-x: auto; } .pies { display: flex; flex-wrap: wrap; gap: 8px; }
figure { margin: 0; text-align: center; } figcaption { font-size: 12px; color: #444; max-width: 200px; }
.legend { font-size: 12px; margin: 6px 0 0; } .swatch { display: inline-block; width: 11px; height: 11px; margin: 0 4px 0 12px; vertical-align: -1px; border-radius: 2px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; } th, td { border: 1px solid #ddd; padding: 3px 8px; } th { background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: #888; font-style: italic; }
`;

export function renderHtml(r: CompareReport): string {
  const id = (x: CompareReport['results'][number]): string[] => [x.variant, sizeLabel(x.size)];
  const groups = Object.keys(GROUP_LABELS);
  const events = knownEvents().filter((e) => r.results.some((x) => (x.events_per_packet[e] ?? 0) > 0));
  const title = `vnflab compare: ${r.stage} — ${r.variants.join(', ')}`;
  const tables = [
    '<h3>Packets per second</h3>',
    table(
      [
        'variant',
        'size',
        'offered pps',
        'delivered pps',
        'drops',
        'not sent',
        ...(r.settings.ndr ? ['NDR pps', 'unlimited pps'] : []),
      ],
      r.results.map((x) => [
        ...id(x),
        fig(x, 'offered_pps', x.offered_pps, pps),
        fig(x, 'packets_per_second', x.packets_per_second, pps),
        fig(x, 'drops_total', x.drops_total, n0),
        fig(x, 'not_sent', x.not_sent, n0),
        ...(x.ndr ? [fig(x, 'ndr.rate_pps', x.ndr.rate_pps, pps), pps(x.ndr.max_pps)] : []),
      ]),
    ),
    '<h3>End-to-end latency</h3>',
    table(
      ['variant', 'size', 'p50', 'p90', 'p99', 'max'],
      r.results.map((x) => [
        ...id(x),
        fig(x, 'latency_seconds.p50', x.latency_seconds.p50, seconds),
        fig(x, 'latency_seconds.p90', x.latency_seconds.p90, seconds),
        fig(x, 'latency_seconds.p99', x.latency_seconds.p99, seconds),
        fig(x, 'latency_seconds.max', x.latency_seconds.max, seconds),
      ]),
    ),
    `<h3>CPU share of ${esc(r.stage)}</h3>`,
    table(
      [
        'variant',
        'size',
        'ns/packet',
        'guest ns/packet',
        'host ns/packet',
        'lab transport ns/packet (apart)',
        ...groups.map((g) => GROUP_LABELS[g]),
      ],
      r.results.map((x) => [
        ...id(x),
        fig(x, 'cpu.stage_ns_per_packet', x.cpu.stage_ns_per_packet, n0),
        guestHostNs(x.cpu).guest.toFixed(0),
        guestHostNs(x.cpu).host.toFixed(0),
        fig(x, 'cpu.bus_ns_per_packet', x.cpu.bus_ns_per_packet, n0),
        ...groups.map((g) => pct(x.cpu.stage_share[g] ?? 0)),
      ]),
    ),
    '<h3>CPU share of every stage under test</h3>',
    table(
      ['variant', 'size', ...groups.map((g) => GROUP_LABELS[g])],
      r.results.map((x) => [...id(x), ...groups.map((g) => pct(x.cpu.chain_share[g] ?? 0))]),
    ),
    ...(events.length
      ? [
          `<h3>Events per packet (${esc(r.stage)})</h3>`,
          table(
            ['variant', 'size', ...events],
            r.results.map((x) => [...id(x), ...events.map((e) => (x.events_per_packet[e] ?? 0).toFixed(3))]),
          ),
        ]
      : []),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">Chain <code>${esc(r.chain)}</code>, cost profile <code>${esc(r.profile)}</code>, ${esc(r.mode)} mode, ${esc(r.created_at)}.
Each measurement: ${r.settings.warmup_s} s warm-up, then a ${r.settings.duration_s} s window; traffic ${esc(rateSetting(r))}.${esc(repeatNote(r))}</p>
<h2>Packets per second</h2>
<div class="chart" id="chart-pps"></div>
<h2>CPU share (mTCP's groups)</h2>
<div class="cpu" id="chart-cpu"></div>
<h2>End-to-end latency CDF</h2>
<div class="chart" id="chart-cdf"></div>
<h2>Events per packet (${esc(r.stage)})</h2>
<div class="chart" id="chart-events"></div>
<h2>Tables</h2>
${tables}
<script type="application/json" id="report-data">${scriptJson(r)}</script>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}
