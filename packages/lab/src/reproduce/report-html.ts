// The self-contained HTML report of `vnflab reproduce --html`: per finding a chart (a bar for
// the lab, one for the paper, the band shaded behind them) drawn here as inline SVG, with the
// source, setup and verdict beside it. No scripts and nothing loaded (the page's CSP says so).

import type { ReproRow } from './finding';
import type { ReproduceReport } from './reproduce';
import { fmt } from './timing';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const W = 560;
const LEFT = 60;
const RIGHT = 20;
const BAR = 22;

/** One finding's chart: horizontal bars on a linear axis that holds the band, both figures and 0. */
export function rowChart(r: ReproRow): string {
  const values = [0, r.band[0], r.band[1], r.measured, ...(r.published === null ? [] : [r.published])].filter(
    Number.isFinite,
  );
  const lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi <= lo) hi = lo + 1;
  hi += (hi - lo) * 0.08;
  const x = (v: number): number => LEFT + ((v - lo) / (hi - lo)) * (W - LEFT - RIGHT);
  const bars: { cls: string; label: string; v: number | null; y: number }[] = [
    { cls: 'lab', label: 'lab', v: r.measured, y: 14 },
    { cls: 'paper', label: 'paper', v: r.published, y: 14 + BAR + 10 },
  ];
  const h = 14 + 2 * (BAR + 10) + 22;
  const bandX = x(r.band[0]);
  const parts = [
    `<rect class="band" x="${bandX.toFixed(1)}" y="6" width="${Math.max(1, x(r.band[1]) - bandX).toFixed(1)}" height="${h - 28}" fill="#2e7d32" fill-opacity="0.16"><title>band ${fmt(r.band[0])}..${fmt(r.band[1])} ${esc(r.unit)}</title></rect>`,
    `<line x1="${x(0).toFixed(1)}" x2="${x(0).toFixed(1)}" y1="6" y2="${h - 22}" stroke="#888"/>`,
  ];
  for (const b of bars) {
    parts.push(`<text x="${LEFT - 6}" y="${b.y + BAR / 2 + 4}" text-anchor="end" font-size="12">${b.label}</text>`);
    if (b.v === null) {
      parts.push(
        `<text class="no-figure" x="${LEFT + 4}" y="${b.y + BAR / 2 + 4}" font-size="12" fill="#666">an order, no figure</text>`,
      );
      continue;
    }
    const x0 = x(Math.min(0, b.v));
    const wpx = Math.max(1, Math.abs(x(b.v) - x(0)));
    const color = b.cls === 'lab' ? (r.in_band ? '#1565c0' : '#c62828') : '#616161';
    parts.push(
      `<rect class="bar ${b.cls}" x="${x0.toFixed(1)}" y="${b.y}" width="${wpx.toFixed(1)}" height="${BAR}" fill="${color}"><title>${b.label} ${fmt(b.v)} ${esc(r.unit)}</title></rect>`,
    );
    parts.push(`<text x="${(x0 + wpx + 4).toFixed(1)}" y="${b.y + BAR / 2 + 4}" font-size="12">${fmt(b.v)}</text>`);
  }
  parts.push(
    `<text x="${bandX.toFixed(1)}" y="${h - 6}" font-size="11" fill="#2e7d32">band ${fmt(r.band[0])}..${fmt(r.band[1])} ${esc(r.unit)}</text>`,
  );
  return `<svg class="finding-chart" data-finding="${esc(r.name)}" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(r.name)}: lab ${fmt(r.measured)}, paper ${r.published === null ? 'none' : fmt(r.published)}">${parts.join('')}</svg>`;
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1000px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 16px; margin: 28px 0 4px; } .meta, .src { color: #555; }
.verdict.in { color: #2e7d32; } .verdict.miss { color: #c62828; }
table { border-collapse: collapse; font-size: 13px; } th, td { border: 1px solid #ddd; padding: 3px 8px; } th { background: #f5f5f5; } td.num { text-align: right; }
`;

export function renderReproduceHtml(r: ReproduceReport): string {
  const summary = r.rows
    .map(
      (x) =>
        `<tr><td><a href="#${esc(x.name)}">${esc(x.name)}</a></td><td class="num">${x.published === null ? '(order)' : fmt(x.published)}</td><td class="num">${fmt(x.measured)}</td><td class="num">${fmt(x.band[0])}..${fmt(x.band[1])}</td><td>${esc(x.unit)}</td><td class="verdict ${x.in_band ? 'in' : 'miss'}">${x.in_band ? 'in band' : 'miss'}</td></tr>`,
    )
    .join('\n');
  const sections = r.rows
    .map(
      (x) => `<section class="finding" id="${esc(x.name)}">
<h2>${esc(x.name)} <span class="verdict ${x.in_band ? 'in' : 'miss'}">${x.in_band ? 'in band' : 'outside the band'}</span></h2>
<p class="src">${esc(x.source)}</p>
${rowChart(x)}
<p><b>Setup.</b> ${esc(x.setup)}</p>
<p><b>Verdict.</b> ${esc(x.explanation)}</p>
</section>`,
    )
    .join('\n');
  const m = r.machine;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vnflab reproduce</title>
<style>${CSS}</style>
</head>
<body>
<h1>vnflab reproduce: published findings beside the lab</h1>
<p class="meta">Profile <code>${esc(r.profile)}</code>${r.quick ? ', quick windows' : ''}; ${m.cpus} x ${esc(m.cpu_model)}, load average ${m.loadavg_1m.toFixed(2)} at the start, node ${esc(m.node)}, ${esc(m.os)}; ${r.duration_s.toFixed(0)} s.</p>
<table><thead><tr><th>finding</th><th>paper</th><th>lab</th><th>band</th><th>unit</th><th>verdict</th></tr></thead><tbody>
${summary}
</tbody></table>
${sections}
</body>
</html>
`;
}
