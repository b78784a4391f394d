// A measurement window read from Prometheus's HTTP API (compose mode): increase() of every
// counter over the window, evaluated at its end, shaped as the embedded window's CompareResult.

import { latencyFromCumulative } from './latency';
import type { CompareResult } from './model';
import { cpuWindow } from './stage-cpu';

type Vector = { metric: Record<string, string>; value: [number, string] }[];
type Matrix = { metric: Record<string, string>; values: [number, string][] }[];

export class PrometheusClient {
  readonly base: string;

  constructor(url: string) {
    try {
      new URL(url);
    } catch {
      throw new Error(`"${url}" is not a URL (e.g. http://localhost:9090)`);
    }
    this.base = url.replace(/\/+$/, '');
  }

  private async call<T>(q: string, time: number): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v1/query?query=${encodeURIComponent(q)}&time=${time.toFixed(3)}`);
    } catch (e) {
      const c = (e as Error & { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach Prometheus at ${this.base}: ${c?.code ?? c?.message ?? (e as Error).message}`);
    }
    const j = (await res.json().catch(() => ({}))) as {
      status?: string;
      error?: string;
      data?: { resultType: string; result: T };
    };
    if (j.status !== 'success' || !j.data)
      throw new Error(`Prometheus query failed (${res.status}): ${j.error ?? 'no answer'}: ${q}`);
    return j.data.result;
  }

  /** An instant query: one value per series. */
  query(q: string, time: number): Promise<Vector> {
    return this.call<Vector>(q, time);
  }

  /** The raw samples of a range selector (e.g. `m{a="b"}[30s]`) as stored, per series. */
  samples(selector: string, time: number): Promise<Matrix> {
    return this.call<Matrix>(selector, time);
  }
}

const num = (v: [number, string]): number => {
  const x = Number(v[1]);
  return Number.isFinite(x) ? x : 0;
};

export interface PrometheusWindow {
  stage: string;
  variant: string;
  /** Window end, Unix seconds. */
  end: number;
  windowS: number;
}

/** Counters of the window, by label; stages outside the system under test are the generator and the backends. */
export async function prometheusResult(
  p: PrometheusClient,
  w: PrometheusWindow,
): Promise<CompareResult & { seen_variants: Record<string, number> }> {
  const W = `${Math.max(1, Math.round(w.windowS))}s`;
  const st = JSON.stringify(w.stage);
  const inc = (m: string): string => `increase(${m}[${W}])`;
  const one = async (q: string): Promise<number> => (await p.query(q, w.end)).reduce((a, r) => a + num(r.value), 0);
  const by = async (q: string, label: string): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const r of await p.query(q, w.end)) out[r.metric[label] ?? ''] = num(r.value);
    return out;
  };
  const UNDER_TEST = 'stage!~"traffic-gen|backends"';
  const [sent, sentBytes, received, cpuRows, inRows, events, seen, e2eBuckets, e2eSum, dropRows, notSent] =
    await Promise.all([
      one(`sum(${inc('vnflab_packets_total{stage="traffic-gen",direction="out"}')})`),
      one(`sum(${inc('vnflab_bytes_total{stage="traffic-gen",direction="out"}')})`),
      one(`sum(${inc('vnflab_packets_total{stage="backends",direction="out"}')})`),
      p.query(`sum by (stage, category) (${inc(`vnflab_cpu_seconds_total{${UNDER_TEST}}`)})`, w.end),
      p.query(`sum by (stage) (${inc(`vnflab_packets_total{${UNDER_TEST},direction="in"}`)})`, w.end),
      by(`sum by (event) (${inc(`vnflab_events_total{stage=${st}}`)})`, 'event'),
      by(`sum by (variant) (${inc(`vnflab_packets_total{stage=${st},direction="in"}`)})`, 'variant'),
      p.query(`sum by (le) (${inc('vnflab_e2e_latency_seconds_bucket')})`, w.end),
      one(`sum(${inc('vnflab_e2e_latency_seconds_sum')})`),
      p.query(`sum by (stage, reason) (${inc('vnflab_drops_total{reason!="duplicate"}')})`, w.end),
      // what the generator's schedule offered and the chain held back (services/traffic-gen/src/generator.ts)
      one(`sum(${inc('vnflab_generator_packets_total{kind="not_sent"}')})`),
    ]);
  // every stage under test: CPU seconds by category and packets in; the chain's is their sum
  const stages: Record<string, { seconds: Record<string, number>; packetsIn: number }> = {};
  const stageOf = (name: string): { seconds: Record<string, number>; packetsIn: number } =>
    (stages[name] ??= { seconds: {}, packetsIn: 0 });
  const chainCpu: Record<string, number> = {};
  for (const r of cpuRows) {
    const cat = r.metric.category ?? '';
    stageOf(r.metric.stage ?? '').seconds[cat] = num(r.value);
    chainCpu[cat] = (chainCpu[cat] ?? 0) + num(r.value);
  }
  for (const r of inRows) stageOf(r.metric.stage ?? '').packetsIn = num(r.value);
  const { seconds: stageCpu, packetsIn: stageIn } = stages[w.stage] ?? { seconds: {}, packetsIn: 0 };
  const drops: CompareResult['drops'] = {};
  let dropsTotal = 0;
  for (const r of dropRows) {
    const n = Math.round(num(r.value));
    if (n <= 0) continue;
    (drops[r.metric.stage ?? '?'] ??= {})[r.metric.reason ?? '?'] = n;
    dropsTotal += n;
  }
  const eventsPer: Record<string, number> = {};
  for (const [e, n] of Object.entries(events)) if (n > 0) eventsPer[e] = stageIn > 0 ? n / stageIn : 0;
  const buckets = e2eBuckets.map((r): [number, number] => [
    r.metric.le === '+Inf' ? Infinity : Number(r.metric.le),
    num(r.value),
  ]);
  // frames are counted without their 4-byte FCS; the report speaks of wire sizes
  const size = sent > 0 ? Math.round(sentBytes / sent) + 4 : 0;
  return {
    variant: w.variant,
    size,
    rate_pps: 0,
    window_s: w.windowS,
    sent: Math.round(sent),
    received: Math.round(received),
    offered_pps: sent / w.windowS,
    packets_per_second: received / w.windowS,
    drops,
    drops_total: dropsTotal,
    not_sent: Math.round(notSent),
    cpu: cpuWindow({ stageSeconds: stageCpu, stageIn, chainSeconds: chainCpu, stages }),
    events_per_packet: eventsPer,
    latency_seconds: latencyFromCumulative(buckets, e2eSum),
    seen_variants: seen,
  };
}
