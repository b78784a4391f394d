// report.md: the comparison as Markdown tables, one section per chart of the HTML report.

import { knownEvents } from '@vnflab/core';
import { GROUP_LABELS, fig, pct, pps, seconds, sizeLabel, guestHostNs } from './format';

const n0 = (v: number): string => v.toFixed(0);
import type { CompareReport, NdrTrial } from './model';

/** One search trial: rate (drops/not sent, p99) verdict, and what a failed one missed. */
function trialText(t: NdrTrial): string {
  const p99 = t.p99_s === null || t.p99_s === undefined ? '' : `, p99 ${seconds(t.p99_s)}`;
  const verdict = t.passed ? 'pass' : `fail${t.failed?.length ? ` (${t.failed.join('; ')})` : ''}`;
  return `${pps(t.rate_pps)} (${t.drops}/${t.not_sent}${p99}) ${verdict}`;
}

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
}

export function rateSetting(r: CompareReport): string {
  const n = r.settings.ndr;
  if (n && (n.loss_tolerance !== undefined || n.max_latency_s !== undefined || r.mode === 'compose')) {
    // what a trial had to meet (--ndr, --pdr, --max-latency) and, in compose, how the rate was set
    const what =
      n.loss_tolerance === undefined
        ? 'NDR'
        : n.loss_tolerance === null
          ? 'The highest rate under the latency bound'
          : `PDR (at most ${+(n.loss_tolerance * 100).toPrecision(3)} % of the offered packets lost)`;
    const lat = n.max_latency_s !== undefined ? `, p99 at most ${seconds(n.max_latency_s)}` : '';
    const how = r.mode === 'compose' ? ", the traffic-gen container's rate set through the controller per trial" : '';
    return `${what} by binary search (resolution ${pct(n.resolution)}, at most ${n.max_iterations} trials after an unlimited one${lat}${how})`;
  }
  if (r.mode === 'compose') {
    const rate = r.settings.rate_pps;
    const what = rate === null ? 'at its own rate' : rate > 0 ? `at ${rate} packets/s` : 'as fast as the chain takes';
    return `${what}, as the traffic-gen container sends it (TRAFFIC_RATE, TRAFFIC_SIZE)`;
  }
  if (r.settings.ndr)
    return `NDR by binary search (resolution ${pct(r.settings.ndr.resolution)}, at most ${r.settings.ndr.max_iterations} trials after an unlimited one)`;
  return r.settings.rate_pps ? `${r.settings.rate_pps} packets/s offered` : 'as fast as the chain takes';
}

/** With --repeat: how to read the figures. */
export function repeatNote(r: CompareReport): string {
  const n = r.settings.repeat ?? 1;
  return n > 1
    ? ` Each figure is the median of ${n} trials, the spread (min–max) beside it; report.json keeps every trial.`
    : '';
}

export function renderMarkdown(r: CompareReport): string {
  const groups = Object.keys(GROUP_LABELS);
  const events = knownEvents().filter((e) => r.results.some((x) => (x.events_per_packet[e] ?? 0) > 0));
  const id = (x: CompareReport['results'][number]): string[] => [x.variant, sizeLabel(x.size)];
  const out: string[] = [
    `# vnflab compare: ${r.stage} — ${r.variants.join(', ')}`,
    '',
    `Chain \`${r.chain}\`, cost profile \`${r.profile}\`, ${r.mode} mode, ${r.created_at}. Each measurement: ${r.settings.warmup_s} s warm-up, then a ${r.settings.duration_s} s window; traffic ${rateSetting(r)}${r.settings.batch_size ? `; batches of ${r.settings.batch_size}` : ''}.${repeatNote(r)}`,
    '',
    '## Packets per second',
    '',
    ...table(
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
    '## End-to-end latency',
    '',
    ...table(
      ['variant', 'size', 'p50', 'p90', 'p99', 'max', 'packets'],
      r.results.map((x) => [
        ...id(x),
        fig(x, 'latency_seconds.p50', x.latency_seconds.p50, seconds),
        fig(x, 'latency_seconds.p90', x.latency_seconds.p90, seconds),
        fig(x, 'latency_seconds.p99', x.latency_seconds.p99, seconds),
        fig(x, 'latency_seconds.max', x.latency_seconds.max, seconds),
        String(Math.round(x.latency_seconds.count)),
      ]),
    ),
    `## CPU share of ${r.stage} (mTCP's groups)`,
    '',
    ...table(
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
    '## CPU share of every stage under test (between generator and backends)',
    '',
    ...table(
      ['variant', 'size', 'CPU s', ...groups.map((g) => GROUP_LABELS[g])],
      r.results.map((x) => [
        ...id(x),
        Object.values(x.cpu.chain_seconds)
          .reduce((a, b) => a + b, 0)
          .toFixed(3),
        ...groups.map((g) => pct(x.cpu.chain_share[g] ?? 0)),
      ]),
    ),
    `## Events per packet (${r.stage})`,
    '',
    ...(events.length
      ? table(
          ['variant', 'size', ...events],
          r.results.map((x) => [...id(x), ...events.map((e) => (x.events_per_packet[e] ?? 0).toFixed(3))]),
        )
      : ['No events counted.', '']),
  ];
  const dropRows = r.results.flatMap((x) =>
    Object.entries(x.drops).flatMap(([stage, reasons]) =>
      Object.entries(reasons).map(([reason, n]) => [...id(x), stage, reason, String(n)]),
    ),
  );
  out.push(
    '## Drops',
    '',
    ...(dropRows.length
      ? table(['variant', 'size', 'stage', 'reason', 'packets'], dropRows)
      : ['No packet dropped in any window.', '']),
  );
  if (r.settings.ndr) {
    out.push(
      '## NDR search',
      '',
      'Each trial: offered rate, packets dropped / packets due that the generator could not send, p99 end-to-end latency, verdict (and what a failed trial missed).',
      '',
    );
    for (const x of r.results) {
      const t = x.ndr?.trials ?? [];
      out.push(
        `- ${x.variant} ${sizeLabel(x.size)}: NDR ${pps(x.ndr?.rate_pps ?? 0)} pps of ${pps(x.ndr?.max_pps ?? 0)} unlimited — ${t.map(trialText).join(', ') || 'no trial'}`,
      );
    }
    out.push('');
  }
  if (r.swaps?.length) {
    out.push(
      '## Swaps',
      '',
      ...table(
        ['variant', '', 'swap'],
        r.swaps.map((s) => [
          s.variant,
          '',
          s.unchanged ? 'already running' : s.duration_ms === null ? '-' : `${(s.duration_ms / 1e3).toFixed(2)} s`,
        ]),
      ),
    );
  }
  return out.join('\n');
}
