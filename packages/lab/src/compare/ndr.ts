// NFVbench's NDR: the highest offered rate at which nothing is lost, by binary search between
// 0 and the chain's unlimited-rate throughput; its PDR (a fraction of the offered packets may be
// lost), and the highest rate whose p99 end-to-end latency stays under a bound, by the same search. Bounded: at most `maxIterations` trials after
// the unlimited one, stopping early once the interval is narrower than `resolution` of it.
// "Lost" is what was dropped plus what the generator could not send on schedule: in one
// process the chain holds the generator back instead of dropping.

import type { CompareResult, NdrOutcome, NdrTrial } from './model';

export interface NdrOptions {
  /** Stop when hi - lo < resolution * max (e.g. 0.02). */
  resolution: number;
  maxIterations: number;
  /** Fraction of offered packets that may be lost and still pass (0 = NDR; PDR's ratio; Infinity: loss is not a criterion). */
  lossTolerance?: number;
  /** A trial passes only if its p99 end-to-end latency is at most this (seconds), measured on packets received. */
  maxLatencyS?: number;
}

export function trialLoss(r: CompareResult): number {
  return r.drops_total + r.not_sent;
}

export function trialPassed(r: CompareResult, tolerance = 0, maxLatencyS?: number): boolean {
  return trialMisses(r, tolerance, maxLatencyS).length === 0;
}

/** The criteria a trial missed, each as the report words it (none: it passed). */
export function trialMisses(r: CompareResult, tolerance = 0, maxLatencyS?: number): string[] {
  const misses: string[] = [];
  const offered = Math.max(1, r.rate_pps * r.window_s);
  const lost = trialLoss(r);
  if (tolerance !== Infinity && lost > tolerance * offered) misses.push(`lost ${lost} of ${Math.round(offered)}`);
  // a window with nothing received has no latency to judge: it fails the bound
  if (maxLatencyS !== undefined) {
    if (r.latency_seconds.count === 0) misses.push('nothing received');
    else if (r.latency_seconds.p99 > maxLatencyS)
      misses.push(`p99 ${ms(r.latency_seconds.p99)} ms > ${ms(maxLatencyS)} ms`);
  }
  return misses;
}

const ms = (s: number): string => String(Number((s * 1e3).toPrecision(3)));

/** Upper bound on trials after the unlimited one, for progress bars. */
export function ndrTrialBound(o: NdrOptions): number {
  return Math.min(o.maxIterations, Math.max(1, Math.ceil(Math.log2(1 / o.resolution))));
}

/** What a trial had to meet, for the report (absent for NDR's zero loss alone). */
function criterion(o: NdrOptions): Pick<NdrOutcome, 'loss_tolerance' | 'max_latency_s'> {
  return {
    ...(o.lossTolerance !== undefined && o.lossTolerance !== 0
      ? { loss_tolerance: o.lossTolerance === Infinity ? null : o.lossTolerance }
      : {}),
    ...(o.maxLatencyS !== undefined ? { max_latency_s: o.maxLatencyS } : {}),
  };
}

export async function searchNdr(
  measure: (rate: number) => Promise<CompareResult>,
  o: NdrOptions,
  onTrial?: (r: CompareResult, passed: boolean) => void,
): Promise<{ best: CompareResult; outcome: NdrOutcome }> {
  if (!(o.resolution > 0 && o.resolution < 1)) throw new RangeError('NDR resolution must be between 0 and 1');
  const unlimited = await measure(0);
  onTrial?.(unlimited, true);
  const max = unlimited.packets_per_second;
  const trials: NdrTrial[] = [];
  let lo = 0;
  let hi = max;
  let best: CompareResult | null = null;
  const bound = ndrTrialBound(o);
  for (let i = 0; i < bound && hi - lo >= o.resolution * max && max > 0; i++) {
    const rate = Math.max(1, Math.round((lo + hi) / 2));
    const r = await measure(rate);
    const failed = trialMisses(r, o.lossTolerance, o.maxLatencyS);
    const passed = failed.length === 0;
    trials.push({
      rate_pps: rate,
      sent: r.sent,
      received: r.received,
      drops: r.drops_total,
      not_sent: r.not_sent,
      p99_s: r.latency_seconds.count > 0 ? r.latency_seconds.p99 : null,
      passed,
      ...(passed ? {} : { failed }),
    });
    onTrial?.(r, passed);
    if (passed) {
      lo = rate;
      best = r;
    } else hi = rate;
  }
  const outcome: NdrOutcome = {
    rate_pps: best ? best.rate_pps : 0,
    max_pps: max,
    resolution: o.resolution,
    ...criterion(o),
    trials,
  };
  // with no passing trial the variant's row shows the unlimited run, its NDR 0
  return { best: { ...(best ?? unlimited), ndr: outcome }, outcome };
}
