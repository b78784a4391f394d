// StageStats as JSON and back: what a service's /stats serves and what `vnflab run --bus` reads
// to build the same live table and summary as the embedded run. Drop reasons and events travel
// by name, because reason codes are process-local; histograms travel as their non-empty buckets.

import { CATEGORIES, type Category } from '../cpu/categories';
import { reasonCode } from '../reasons';
import { LogHistogram } from './histogram';
import { eventCode } from './events';
import { StageStats } from './stage-stats';

export interface HistogramJson {
  count: number;
  sum: number;
  max: number;
  min: number;
  /** [bucket index, count] for every non-empty bucket. */
  buckets: [number, number][];
}

export interface StageStatsJson {
  stage: string;
  variant: string;
  instance: string;
  packets_in: number;
  packets_out: number;
  bytes_in: number;
  bytes_out: number;
  batches: number;
  /** Loop chains (absent or 0 in an open chain): packets created and terminated here. */
  originated?: number;
  delivered?: number;
  drops: Record<string, number>;
  events: Record<string, number>;
  cpu_ns: Record<string, number>;
  queue_latency: HistogramJson;
  process_latency: HistogramJson;
  batch_size: HistogramJson;
  bus_pending: number;
}

export function histogramToJson(h: LogHistogram): HistogramJson {
  const buckets: [number, number][] = [];
  for (let i = 0; i < h.counts.length; i++) if (h.counts[i] > 0) buckets.push([i, h.counts[i]]);
  return { count: h.count, sum: h.sum, max: h.max, min: Number.isFinite(h.min) ? h.min : 0, buckets };
}

/** Throws on anything that is not a histogram this code wrote, so a bad /stats reply is an error, not garbage. */
export function histogramFromJson(j: HistogramJson, into = new LogHistogram()): LogHistogram {
  if (!j || !Array.isArray(j.buckets)) throw new TypeError('not a histogram snapshot');
  into.reset();
  for (const [i, c] of j.buckets) {
    if (!Number.isInteger(i) || i < 0 || i >= into.counts.length || !(c >= 0))
      throw new RangeError(`histogram bucket ${i} out of range`);
    into.counts[i] = c;
  }
  into.count = j.count;
  into.sum = j.sum;
  into.max = j.max;
  into.min = j.count > 0 ? j.min : Infinity;
  return into;
}

export function statsToJson(s: StageStats): StageStatsJson {
  const cpu: Record<string, number> = {};
  CATEGORIES.forEach((c, i) => (cpu[c] = s.cpu.ns[i]));
  return {
    stage: s.stage,
    variant: s.variant,
    instance: s.instance,
    packets_in: s.packetsIn,
    packets_out: s.packetsOut,
    bytes_in: s.bytesIn,
    bytes_out: s.bytesOut,
    batches: s.batches,
    originated: s.originated,
    delivered: s.delivered,
    drops: s.dropsByReason(),
    events: s.eventsByName(),
    cpu_ns: cpu,
    queue_latency: histogramToJson(s.queueLatency),
    process_latency: histogramToJson(s.processLatency),
    batch_size: histogramToJson(s.batchSize),
    bus_pending: s.busPending,
  };
}

export function statsFromJson(j: StageStatsJson): StageStats {
  const s = new StageStats(j.stage, j.variant, j.instance);
  s.packetsIn = j.packets_in;
  s.packetsOut = j.packets_out;
  s.bytesIn = j.bytes_in;
  s.bytesOut = j.bytes_out;
  s.batches = j.batches;
  s.originated = j.originated ?? 0;
  s.delivered = j.delivered ?? 0;
  for (const [r, n] of Object.entries(j.drops ?? {})) s.drops[reasonCode(r)] += n;
  for (const [e, n] of Object.entries(j.events ?? {})) s.events[eventCode(e)] += n;
  for (const [c, ns] of Object.entries(j.cpu_ns ?? {})) {
    const i = (CATEGORIES as readonly string[]).indexOf(c as Category);
    if (i >= 0) s.cpu.ns[i] = ns;
  }
  histogramFromJson(j.queue_latency, s.queueLatency);
  histogramFromJson(j.process_latency, s.processLatency);
  histogramFromJson(j.batch_size, s.batchSize);
  s.busPending = j.bus_pending;
  return s;
}

/** Adds `from` into `into` (replicas of one stage summed into one row). */
export function mergeStats(into: StageStats, from: StageStats): StageStats {
  into.packetsIn += from.packetsIn;
  into.packetsOut += from.packetsOut;
  into.bytesIn += from.bytesIn;
  into.bytesOut += from.bytesOut;
  into.batches += from.batches;
  into.originated += from.originated;
  into.delivered += from.delivered;
  for (let i = 0; i < into.drops.length; i++) into.drops[i] += from.drops[i];
  for (let i = 0; i < into.events.length; i++) into.events[i] += from.events[i];
  for (let i = 0; i < into.cpu.ns.length; i++) into.cpu.ns[i] += from.cpu.ns[i];
  into.queueLatency.merge(from.queueLatency);
  into.processLatency.merge(from.processLatency);
  into.batchSize.merge(from.batchSize);
  into.busPending += from.busPending;
  return into;
}
