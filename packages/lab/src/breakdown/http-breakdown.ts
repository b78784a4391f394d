// The web workload's breakdown (`vnflab breakdown --workload http`): mTCP's Figure 1 set up
// the way the paper set it up - an HTTP client opening short connections to a web server that
// serves one 64-byte file - run once per kernel-path preset (`linux`, `user-tcp`). The server's
// CPU (every stage but the client: nic, kernel-path, web-server) is billed per transaction to
// the figure's four groups; the client stands for the paper's separate client machines and
// the lab's own transport is left out, as in every breakdown.

import { CATEGORIES, GROUPS, loadChainFile, validateChain, type Category, type StageRegistry } from '@vnflab/core';
import { EmbeddedChain, summarize, type ChainStage } from '@vnflab/runtime';
import { MTCP_GROUPS, PUBLISHED, type MtcpGroup } from './published';

export const HTTP_PRESETS = ['linux', 'user-tcp'] as const;

export interface HttpBreakdownOptions {
  registry: StageRegistry;
  /** The web chain file (client, nic, kernel-path, web-server, loop: true). */
  config: string;
  /** Seconds the client opens connections per row; default 2. */
  durationS?: number;
  profile?: string;
  presets?: readonly string[];
  /** Overrides the client's concurrent connections. */
  connections?: number;
  onRow?: (row: HttpRow) => void;
}

export interface HttpRow {
  preset: string;
  /** Responses with status 2xx the server sent: the transactions the CPU is divided by. */
  transactions: number;
  duration_s: number;
  /** Transactions per second of wall time, client and server sharing one thread. */
  transactions_per_s: number;
  /** The server's measured CPU per transaction (lab transport excluded), microseconds. */
  cpu_us_per_transaction: number;
  /** Transactions one core would serve doing only the server's work: 1e6 / cpu_us_per_transaction. */
  transactions_per_s_per_core: number;
  /** mTCP Figure 1's groups, fractions of the server's CPU; sum to 1. */
  cpu_share: Record<MtcpGroup, number>;
  /** The server's CPU per transaction by category, microseconds. */
  us_per_transaction_by_category: Record<string, number>;
  /** Server-side events per transaction (syscall, context_switch, interrupt, ...). */
  events_per_transaction: Record<string, number>;
  server_stages: string[];
  accounting_closed: boolean;
  drops: Record<string, Record<string, number>>;
}

export interface HttpBreakdownReport {
  workload: 'http';
  profile: string;
  published: { source: string; shares: Record<MtcpGroup, number>; us_per_transaction: number };
  rows: HttpRow[];
}

const NOT_SERVER = new Set(['bus', 'host'] as Category[]);

function serverRow(
  preset: string,
  stages: ChainStage[],
  durationS: number,
  closed: boolean,
  drops: HttpRow['drops'],
): HttpRow {
  const server = stages.slice(1);
  const ns = new Float64Array(CATEGORIES.length);
  const events: Record<string, number> = {};
  let transactions = 0;
  for (const s of server) {
    for (let i = 0; i < ns.length; i++) ns[i] += s.stats.cpu.ns[i];
    for (const [e, n] of Object.entries(s.stats.eventsByName())) events[e] = (events[e] ?? 0) + n;
  }
  const web = server.find((s) => s.stage === 'web-server');
  if (web) transactions = web.stats.eventsByName().response_2xx ?? 0;
  const cat = (c: Category): number => ns[CATEGORIES.indexOf(c)];
  let total = 0;
  const byCat: Record<string, number> = {};
  CATEGORIES.forEach((c, i) => {
    if (NOT_SERVER.has(c)) return;
    total += ns[i];
    if (ns[i] > 0) byCat[c] = transactions > 0 ? ns[i] / transactions / 1e3 : 0;
  });
  const share = {} as Record<MtcpGroup, number>;
  for (const g of MTCP_GROUPS) share[g] = total > 0 ? GROUPS[g].reduce((a, c) => a + cat(c), 0) / total : 0;
  const us = transactions > 0 ? total / transactions / 1e3 : 0;
  const perTx: Record<string, number> = {};
  for (const [e, n] of Object.entries(events)) perTx[e] = transactions > 0 ? n / transactions : 0;
  return {
    preset,
    transactions,
    duration_s: durationS,
    transactions_per_s: durationS > 0 ? transactions / durationS : 0,
    cpu_us_per_transaction: us,
    transactions_per_s_per_core: us > 0 ? 1e6 / us : 0,
    cpu_share: share,
    us_per_transaction_by_category: byCat,
    events_per_transaction: perTx,
    server_stages: server.map((s) => s.name),
    accounting_closed: closed,
    drops,
  };
}

/** The chain file with kernel-path set to `preset` and the client's duration (and connections) set. */
function chainFor(o: HttpBreakdownOptions, preset: string, durationS: number): unknown {
  const file = loadChainFile(o.config, o.registry);
  if (file.stages[0]?.stage !== 'http-client' || !file.stages.some((s) => s.stage === 'kernel-path'))
    throw new Error(`breakdown --workload http: ${o.config} must start with http-client and hold a kernel-path`);
  return {
    name: `${file.name}-${preset}`,
    profile: o.profile ?? file.profile,
    batch_size: file.batchSize,
    bus: file.bus,
    loop: true,
    stages: file.stages.map((s, i) => {
      const settings: Record<string, unknown> = { ...(s.settings as Record<string, unknown>) };
      if (i === 0) {
        delete settings.count;
        settings.duration = durationS;
        if (o.connections) settings.connections = o.connections;
      }
      const out: Record<string, unknown> = { stage: s.stage, name: s.name, settings };
      out.variant = s.stage === 'kernel-path' ? preset : s.variant;
      if (s.stage === 'kernel-path') for (const k of ['irq', 'alloc', 'copies', 'syscall', 'stack']) delete settings[k];
      return out;
    }),
  };
}

export async function runHttpRow(o: HttpBreakdownOptions, preset: string, durationS: number): Promise<HttpRow> {
  const resolved = validateChain(chainFor(o, preset, durationS), o.registry, `breakdown --workload http, ${preset}`);
  const chain = new EmbeddedChain(resolved, o.registry);
  await chain.start();
  const elapsed = chain.elapsedSeconds();
  const summary = summarize(resolved.name, resolved.profile, chain.stages, elapsed, undefined, resolved.loop);
  return serverRow(preset, chain.stages, elapsed, summary.accounting_closed, summary.drops);
}

export async function runHttpBreakdown(o: HttpBreakdownOptions): Promise<HttpBreakdownReport> {
  const durationS = o.durationS ?? 2;
  const rows: HttpRow[] = [];
  for (const preset of o.presets ?? HTTP_PRESETS) {
    await runHttpRow(o, preset, Math.min(0.3, durationS)); // warm-up, unreported (JIT)
    const row = await runHttpRow(o, preset, durationS);
    rows.push(row);
    o.onRow?.(row);
  }
  const m = PUBLISHED.mtcp;
  return {
    workload: 'http',
    profile: o.profile ?? 'linux-3.10-xeon',
    published: { source: m.source, shares: { ...m.shares }, us_per_transaction: m.usPerTransaction },
    rows,
  };
}

const LABEL: Record<MtcpGroup, string> = {
  packet_io: 'packet I/O',
  kernel_without_tcpip: 'kernel',
  tcpip: 'TCP/IP',
  application: 'application',
};
const GLYPH: Record<MtcpGroup, string> = { packet_io: '#', kernel_without_tcpip: '=', tcpip: '+', application: '.' };

/** One stacked bar, 50 characters wide, a glyph per group. */
export function stackedBar(shares: Record<MtcpGroup, number>, width = 50): string {
  let out = '';
  let acc = 0;
  for (const g of MTCP_GROUPS) {
    const end = Math.round((acc + shares[g]) * width);
    out += GLYPH[g].repeat(Math.max(0, end - Math.round(acc * width)));
    acc += shares[g];
  }
  return out.padEnd(width, ' ');
}

export function formatHttpBreakdown(r: HttpBreakdownReport): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}`.padStart(5);
  const lines = [
    `mTCP Figure 1, set up as the paper did: short HTTP connections, one 64 B file each; the server's CPU per transaction (profile ${r.profile})`,
    `legend: ${MTCP_GROUPS.map((g) => `${GLYPH[g]} ${LABEL[g]}`).join('  ')}`,
    '',
    `${'row'.padEnd(14)} ${'bar'.padEnd(50)}  pkt I/O kernel TCP/IP   app   µs/tx  tx/s/core`,
    `${'mTCP Linux'.padEnd(14)} ${stackedBar(r.published.shares)}  ${MTCP_GROUPS.map((g) => pct(r.published.shares[g])).join('  ')}  ${r.published.us_per_transaction.toFixed(1).padStart(6)}  ${(1e6 / r.published.us_per_transaction).toFixed(0).padStart(9)}`,
  ];
  for (const row of r.rows) {
    lines.push(
      `${row.preset.padEnd(14)} ${stackedBar(row.cpu_share)}  ${MTCP_GROUPS.map((g) => pct(row.cpu_share[g])).join('  ')}  ${row.cpu_us_per_transaction.toFixed(1).padStart(6)}  ${row.transactions_per_s_per_core.toFixed(0).padStart(9)}`,
    );
  }
  lines.push('');
  for (const row of r.rows) {
    const ev = row.events_per_transaction;
    const f = (k: string): string => (ev[k] ?? 0).toFixed(2);
    lines.push(
      `${row.preset}: ${row.transactions} transactions in ${row.duration_s.toFixed(2)} s (${row.transactions_per_s.toFixed(0)}/s, client and server on one thread); per transaction: ${f('syscall')} system calls, ${f('context_switch')} context switches, ${f('interrupt')} interrupts${row.accounting_closed ? '' : '; ACCOUNTING DOES NOT CLOSE'}`,
    );
  }
  const linux = r.rows.find((x) => x.preset === 'linux');
  if (linux) {
    const misses = MTCP_GROUPS.filter((g) => Math.abs(linux.cpu_share[g] - r.published.shares[g]) > 0.08);
    lines.push(
      misses.length === 0
        ? 'linux: every group within 8 points of the paper.'
        : `linux: more than 8 points from the paper: ${misses.map((g) => `${LABEL[g]} ${pct(linux.cpu_share[g]).trim()} % vs ${pct(r.published.shares[g]).trim()} %`).join(', ')} (see docs/web-workload.md for the mechanisms).`,
    );
  }
  lines.push(`paper: ${r.published.source}`);
  return lines.join('\n');
}

const COLOUR: Record<MtcpGroup, string> = {
  packet_io: '#4c78a8',
  kernel_without_tcpip: '#e45756',
  tcpip: '#f58518',
  application: '#54a24b',
};
const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The figure as the paper draws it: one horizontal stacked bar per row, the paper's first, as SVG. */
export function httpBreakdownSvg(r: HttpBreakdownReport): string {
  const bars = [
    { name: 'mTCP: Linux 3.10', shares: r.published.shares },
    ...r.rows.map((x) => ({ name: x.preset, shares: x.cpu_share })),
  ];
  const W = 640;
  const left = 140;
  const h = 28;
  const rows = bars.map((b, i) => {
    let x = left;
    const y = 30 + i * (h + 12);
    const rects = MTCP_GROUPS.map((g) => {
      const w = b.shares[g] * (W - left - 10);
      const rect = `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${h}" fill="${COLOUR[g]}"><title>${esc(`${b.name}: ${LABEL[g]} ${(b.shares[g] * 100).toFixed(1)} %`)}</title></rect>`;
      x += w;
      return rect;
    }).join('');
    return `<text x="${left - 8}" y="${y + h / 2 + 4}" text-anchor="end">${esc(b.name)}</text>${rects}`;
  });
  const legend = MTCP_GROUPS.map(
    (g, i) =>
      `<rect x="${left + i * 120}" y="6" width="12" height="12" fill="${COLOUR[g]}"/><text x="${left + i * 120 + 16}" y="16">${esc(LABEL[g])}</text>`,
  ).join('');
  const height = 30 + bars.length * (h + 12);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif" font-size="12" role="img" aria-label="CPU share per mTCP Figure 1 group">${legend}${rows.join('')}</svg>`;
}

/** A standalone page: the stacked bars, then a table of the figures per row. */
export function renderHttpBreakdownHtml(r: HttpBreakdownReport): string {
  const td = (x: string): string => `<td>${esc(x)}</td>`;
  const rows = r.rows
    .map(
      (x) =>
        `<tr>${td(x.preset)}${MTCP_GROUPS.map((g) => td(`${(x.cpu_share[g] * 100).toFixed(1)} %`)).join('')}${td(x.cpu_us_per_transaction.toFixed(1))}${td(x.transactions_per_s_per_core.toFixed(0))}${td(String(x.transactions))}</tr>`,
    )
    .join('');
  const paper = `<tr>${td('mTCP: Linux 3.10')}${MTCP_GROUPS.map((g) => td(`${(r.published.shares[g] * 100).toFixed(1)} %`)).join('')}${td(r.published.us_per_transaction.toFixed(1))}${td((1e6 / r.published.us_per_transaction).toFixed(0))}${td('-')}</tr>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>vnflab: mTCP Figure 1 on the web workload</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}</style></head>
<body><h1>mTCP Figure 1 on the web workload</h1>
<p>The server's CPU per transaction (nic, kernel-path, web-server; the client and the lab's transport left out), profile ${esc(r.profile)}. ${esc(r.published.source)}</p>
${httpBreakdownSvg(r)}
<table><thead><tr><th>row</th>${MTCP_GROUPS.map((g) => `<th>${esc(LABEL[g])}</th>`).join('')}<th>µs per transaction</th><th>transactions/s per core</th><th>transactions</th></tr></thead><tbody>${paper}${rows}</tbody></table>
<p>Why a group differs from the paper: docs/web-workload.md.</p></body></html>
`;
}
