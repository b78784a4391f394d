// Prometheus metrics (names and labels: README.md, "Metrics"), read from StageStats when scraped. Stages count into
// plain numbers on the hot path; this file only turns them into exposition format, so a scrape
// never slows a packet.

import { Registry } from 'prom-client';
import { collectNodeMetrics } from './node-metrics';
import { CATEGORIES } from '../cpu/categories';
import { knownEvents } from '../stats/events';
import type { StageStats } from '../stats/stage-stats';
import type { MetricDeclaration } from '../chain/registry';
import type { LogHistogram } from '../stats/histogram';
import { reasonName } from '../reasons';

type Labels = Record<string, string | number>;
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}
interface CustomMetric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] };
}

/**
 * The ten bounds of one decade, log-spaced (ISO 3 R10 preferred numbers, each about 1.26 times the
 * last). histogram_quantile interpolates linearly inside a bucket, so a bucket this narrow keeps
 * its quantiles within 10 % of the exact ones (packages/core/test/latency-buckets.test.ts: at
 * most 9 % on its lognormal cases, where the 1-2-5 buckets these replace were off by up to 67 %).
 */
const R10 = [1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8];

/** Latency bucket bounds in seconds: 1 us .. 10 s, ten per decade. */
export const LATENCY_BUCKETS_S: readonly number[] = [
  ...[-6, -5, -4, -3, -2, -1, 0].flatMap((e) => R10.map((m) => Number((m * 10 ** e).toPrecision(3)))),
  10,
];
export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

function metric(name: string, help: string, type: CustomMetric['type'], values: () => Sample[]): CustomMetric {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => ({ name, help, type, aggregator: 'sum', values: values() }),
  };
}

/** Histogram samples (`_bucket`, `_sum`, `_count`) from a LogHistogram of values in `unit` per base unit. */
export function histogramSamples(
  name: string,
  h: LogHistogram,
  labels: Labels,
  bounds: readonly number[],
  scale: number,
): Sample[] {
  const scaled = bounds.map((b) => b * scale);
  const cum = h.cumulative(scaled);
  const out: Sample[] = bounds.map((b, i) => ({
    metricName: `${name}_bucket`,
    labels: { ...labels, le: b },
    value: cum[i],
  }));
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels, value: h.sum / scale });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
  return out;
}

export interface MetricsSource {
  /** Every stage instance in this process. */
  stages(): StageStats[];
  /** End-to-end latency histograms in ns, per chain. */
  e2e(): { chain: string; variant: string; hist: LogHistogram }[];
  /** Element-specific metrics (e.g. conntrack hits), as extra exposition samples. */
  extra?(): CustomMetricSpec[];
  /** The metrics the hosted stages declare in their manifests, registered even before a sample exists. */
  declared?: readonly MetricDeclaration[];
}

export interface CustomMetricSpec {
  name: string;
  help: string;
  /** A histogram's samples name their series (`_bucket`, `_sum`, `_count`): histogramSamples. */
  type: 'counter' | 'gauge' | 'histogram';
  samples: { labels: Labels; value: number; metricName?: string }[];
}

/** Builds the process's one registry with every vnflab metric and Node's default metrics. */
export function createMetricsRegistry(src: MetricsSource): Registry {
  const reg = new Registry();
  collectNodeMetrics(reg);
  const each =
    (f: (s: StageStats, l: Labels) => Sample[]): (() => Sample[]) =>
    () =>
      src.stages().flatMap((s) => f(s, { stage: s.stage, variant: s.variant }));

  const ms: CustomMetric[] = [
    metric(
      'vnflab_packets_total',
      'Packets into and out of a stage',
      'counter',
      each((s, l) => [
        { labels: { ...l, direction: 'in' }, value: s.packetsIn },
        { labels: { ...l, direction: 'out' }, value: s.packetsOut },
        // a loop chain's packets created and terminated here; open chains never have them
        ...(s.originated > 0 ? [{ labels: { ...l, direction: 'originated' }, value: s.originated }] : []),
        ...(s.delivered > 0 ? [{ labels: { ...l, direction: 'delivered' }, value: s.delivered }] : []),
      ]),
    ),
    metric(
      'vnflab_bytes_total',
      'Bytes into and out of a stage (frames without FCS)',
      'counter',
      each((s, l) => [
        { labels: { ...l, direction: 'in' }, value: s.bytesIn },
        { labels: { ...l, direction: 'out' }, value: s.bytesOut },
      ]),
    ),
    metric(
      'vnflab_drops_total',
      'Packets a stage dropped, by reason',
      'counter',
      each((s, l) => {
        const out: Sample[] = [];
        for (let i = 1; i < s.drops.length; i++)
          if (s.drops[i] > 0) out.push({ labels: { ...l, reason: reasonName(i) }, value: s.drops[i] });
        return out;
      }),
    ),
    metric(
      'vnflab_cpu_seconds_total',
      'CPU time measured around each processing pass, by category',
      'counter',
      each((s, l) => CATEGORIES.map((c, i) => ({ labels: { ...l, category: c }, value: s.cpu.ns[i] / 1e9 }))),
    ),
    metric(
      'vnflab_events_total',
      'Mechanism events: interrupts, VM exits, kicks, copies, allocations, syscalls, empty polls',
      'counter',
      each((s, l) => knownEvents().map((e, i) => ({ labels: { ...l, event: e }, value: s.events[i] }))),
    ),
    metric(
      'vnflab_stage_latency_seconds',
      'Time a batch waited on the bus before a stage (queue) and spent in it (process)',
      'histogram',
      each((s, l) => [
        ...histogramSamples(
          'vnflab_stage_latency_seconds',
          s.queueLatency,
          { ...l, part: 'queue' },
          LATENCY_BUCKETS_S,
          1e9,
        ),
        ...histogramSamples(
          'vnflab_stage_latency_seconds',
          s.processLatency,
          { ...l, part: 'process' },
          LATENCY_BUCKETS_S,
          1e9,
        ),
      ]),
    ),
    metric(
      'vnflab_batch_size',
      'Packets per batch a stage processed',
      'histogram',
      each((s, l) => histogramSamples('vnflab_batch_size', s.batchSize, l, BATCH_BUCKETS, 1)),
    ),
    metric(
      'vnflab_bus_pending',
      'Batches waiting on the stage input stream',
      'gauge',
      each((s, l) => [{ labels: l, value: s.busPending }]),
    ),
    metric(
      'vnflab_e2e_latency_seconds',
      'End-to-end latency from the probe send timestamp to the backends',
      'histogram',
      () =>
        src
          .e2e()
          .flatMap((e) =>
            histogramSamples(
              'vnflab_e2e_latency_seconds',
              e.hist,
              { chain: e.chain, variant: e.variant },
              LATENCY_BUCKETS_S,
              1e9,
            ),
          ),
    ),
  ];
  for (const m of ms) reg.registerMetric(m as never);
  if (src.extra) registerExtra(reg, src.extra, src.declared ?? []);
  return reg;
}

/** Element-specific metrics are resolved at scrape time; their names are fixed at registration. */
function registerExtra(reg: Registry, extra: () => CustomMetricSpec[], declared: readonly MetricDeclaration[]): void {
  const seen = new Set<string>();
  for (const spec of [...declared, ...extra()]) {
    if (seen.has(spec.name)) continue;
    seen.add(spec.name);
    const name = spec.name;
    reg.registerMetric(
      metric(name, spec.help, spec.type, () =>
        extra()
          .filter((x) => x.name === name)
          .flatMap((x) => x.samples),
      ) as never,
    );
  }
}
