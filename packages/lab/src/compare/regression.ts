// `--baseline REPORT.json --max-regression PCT`: this comparison's figures against an earlier
// report's, per variant and size, so CI can gate on them. A figure regresses when it is worse
// than the baseline's by more than PCT percent of the baseline: packets/s lower, p99 latency
// higher, CPU per packet of a stage under test higher (the lab's transport left out).

import { readFileSync } from 'node:fs';
import { pps, seconds, sizeLabel } from './format';
import type { CompareReport, CompareResult } from './model';

export interface Regression {
  variant: string;
  size: CompareResult['size'];
  /** The figure's name in report.json, e.g. packets_per_second, cpu.stages_ns_per_packet.nic. */
  figure: string;
  baseline: number;
  current: number;
  /** (current - baseline) / baseline. */
  change: number;
  /** One line naming the figure, both values and the change. */
  line: string;
}

export interface RegressionCheck {
  regressions: Regression[];
  /** Figures compared (with a non-zero baseline). */
  compared: number;
  /** Results of this report the baseline has no counterpart for (variant and size). */
  unmatched: string[];
}

/** The baseline report, or an error that says what is wrong with the file (the caller names the flag). */
export function loadBaseline(path: string): CompareReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not JSON (${(e as Error).message})`);
  }
  const r = j as Partial<CompareReport> | null;
  if (!r || r.kind !== 'vnflab-compare' || !Array.isArray(r.results))
    throw new Error(`${path} is not a vnflab compare report (no kind "vnflab-compare" with results)`);
  return r as CompareReport;
}

interface Figure {
  name: string;
  label: string;
  /** +1: higher is better (packets/s); -1: lower is better. */
  better: 1 | -1;
  get(r: CompareResult): number | undefined;
  fmt(v: number): string;
}

function figuresOf(stage: string, cur: CompareResult, base: CompareResult): Figure[] {
  const out: Figure[] = [
    {
      name: 'packets_per_second',
      label: 'packets/s',
      better: 1,
      get: (r) => r.packets_per_second,
      fmt: (v) => `${pps(v)}pps`,
    },
    { name: 'latency_seconds.p99', label: 'p99 latency', better: -1, get: (r) => r.latency_seconds?.p99, fmt: seconds },
  ];
  const ns = (v: number): string => `${v.toFixed(0)} ns`;
  const both = Object.keys(cur.cpu?.stages_ns_per_packet ?? {}).filter(
    (s) => s in (base.cpu?.stages_ns_per_packet ?? {}),
  );
  if (both.length)
    for (const s of both)
      out.push({
        name: `cpu.stages_ns_per_packet.${s}`,
        label: `${s} CPU per packet`,
        better: -1,
        get: (r) => r.cpu?.stages_ns_per_packet?.[s],
        fmt: ns,
      });
  // a baseline from before the per-stage figures: the compared stage's own
  else
    out.push({
      name: 'cpu.stage_ns_per_packet',
      label: `${stage} CPU per packet`,
      better: -1,
      get: (r) => r.cpu?.stage_ns_per_packet,
      fmt: ns,
    });
  return out;
}

export function findRegressions(current: CompareReport, baseline: CompareReport, maxPct: number): RegressionCheck {
  if (!(maxPct >= 0)) throw new RangeError(`max regression must be a percentage >= 0, not ${maxPct}`);
  const limit = maxPct / 100;
  // compose reports measure the generator's size: one result per variant, matched by variant alone
  const compose = current.mode === 'compose' || baseline.mode === 'compose';
  const keyOf = (r: CompareResult): string => (compose ? r.variant : `${r.variant} ${sizeLabel(r.size)}`);
  const byKey = new Map(baseline.results.map((r) => [keyOf(r), r]));
  const regressions: Regression[] = [];
  const unmatched: string[] = [];
  let compared = 0;
  for (const cur of current.results) {
    const base = byKey.get(keyOf(cur));
    if (!base) {
      unmatched.push(keyOf(cur));
      continue;
    }
    for (const f of figuresOf(current.stage, cur, base)) {
      const b = f.get(base);
      const c = f.get(cur);
      if (typeof b !== 'number' || typeof c !== 'number' || !Number.isFinite(b) || !Number.isFinite(c) || b <= 0)
        continue;
      compared++;
      const change = (c - b) / b;
      if (-f.better * change > limit) {
        const pctText = `${change > 0 ? '+' : ''}${(change * 100).toFixed(1)} %`;
        regressions.push({
          variant: cur.variant,
          size: cur.size,
          figure: f.name,
          baseline: b,
          current: c,
          change,
          line: `${current.stage}=${cur.variant} ${sizeLabel(cur.size)}: ${f.label} (${f.name}) ${f.fmt(b)} -> ${f.fmt(c)}, ${pctText}, beyond ${maxPct} %`,
        });
      }
    }
  }
  return { regressions, compared, unmatched };
}
