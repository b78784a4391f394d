// The terminal table `vnflab reproduce` (and `vnflab breakdown`, for its rows) prints: one line
// per finding with the paper's figure, ours, the ratio and the band, then each row's setup and
// verdict in full.

import type { ReproRow } from './finding';
import { fmt } from './timing';

const pad = (s: string, n: number, right = false): string => (right ? s.padStart(n) : s.padEnd(n));

export function formatReproduceRows(rows: readonly ReproRow[]): string {
  const lines: string[] = [];
  const head = [
    pad('finding', 26),
    pad('paper', 9, true),
    pad('lab', 9, true),
    pad('lab/paper', 10, true),
    pad('band', 14, true),
    pad('verdict', 10, true),
    '  unit',
  ].join('');
  lines.push(head, '-'.repeat(head.length + 24));
  for (const r of rows) {
    lines.push(
      [
        pad(r.name, 26),
        pad(r.published === null ? '(order)' : fmt(r.published), 9, true),
        pad(fmt(r.measured), 9, true),
        pad(r.published ? fmt(r.measured / r.published) : '-', 10, true),
        pad(`${fmt(r.band[0])}..${fmt(r.band[1])}`, 14, true),
        pad(r.in_band ? 'in band' : 'MISS', 10, true),
        `  ${r.unit}`,
      ].join(''),
    );
  }
  lines.push('');
  for (const r of rows) {
    lines.push(`${r.name} (${r.in_band ? 'in band' : 'outside the band'})`);
    lines.push(`  source: ${r.source}`);
    lines.push(`  setup:  ${r.setup}`);
    lines.push(`  why:    ${r.explanation}`);
  }
  return lines.join('\n');
}
