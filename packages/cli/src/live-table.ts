// The live table a run shows while it runs: per stage, packets/s, drops and latency p50/p99
// over the last second. On a terminal it redraws in place; otherwise it prints one line per
// second so logs stay readable.

import { quantileSince, type Element } from '@vnflab/core';
import type { ChainStage } from '@vnflab/runtime';

interface Prev {
  out: number;
  drops: number;
  hist: Float64Array;
}

function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

export function fmtSeconds(s: number): string {
  if (s <= 0) return '-';
  if (s < 1e-3) return `${(s * 1e6).toFixed(1)}us`;
  if (s < 1) return `${(s * 1e3).toFixed(2)}ms`;
  return `${s.toFixed(2)}s`;
}

export class LiveTable {
  private prev = new Map<string, Prev>();
  private last = performance.now();
  private drawnLines = 0;
  private readonly tty: boolean;

  constructor(
    private readonly stages: ChainStage[],
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(out.isTTY);
    for (const s of stages)
      this.prev.set(s.name, { out: 0, drops: 0, hist: new Float64Array(s.stats.processLatency.counts.length) });
  }

  /** The histogram the column shows: end-to-end at the sink, processing time elsewhere. */
  private hist(s: ChainStage) {
    const e2e = (s.element as Element).e2e;
    return e2e ?? s.stats.processLatency;
  }

  tick(elapsedS: number): void {
    const now = performance.now();
    const dt = (now - this.last) / 1e3;
    this.last = now;
    const rows = [['stage', 'variant', 'pkts/s', 'drops', 'p50', 'p99']];
    for (const s of this.stages) {
      const p = this.prev.get(s.name)!;
      const out = s.stats.packetsOut;
      const drops = s.stats.totalDrops();
      const h = this.hist(s);
      rows.push([
        s.name,
        s.variant,
        fmtRate((out - p.out) / dt),
        String(drops),
        fmtSeconds(quantileSince(h, p.hist, 0.5) / 1e9),
        fmtSeconds(quantileSince(h, p.hist, 0.99) / 1e9),
      ]);
      p.out = out;
      p.drops = drops;
      p.hist.set(h.counts);
    }
    if (!this.tty) {
      const parts = rows.slice(1).map((r) => `${r[0]} ${r[2]}/s drops ${r[3]} p99 ${r[5]}`);
      this.out.write(`[${elapsedS.toFixed(0)}s] ${parts.join(' | ')}\n`);
      return;
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const lines = rows.map((r) =>
      r.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  '),
    );
    lines.unshift(
      `vnflab: ${elapsedS.toFixed(0)} s  (Ctrl-C stops and prints the summary; p50/p99: processing time, end-to-end at backends)`,
    );
    if (this.drawnLines) this.out.write(`\x1b[${this.drawnLines}A`);
    this.out.write(lines.map((l) => `\x1b[2K${l}`).join('\n') + '\n');
    this.drawnLines = lines.length;
  }
}
