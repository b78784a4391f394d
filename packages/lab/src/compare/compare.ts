// A comparison: for each variant and frame size, put the variant in place (a new embedded chain,
// or a swap through the controller), warm up, measure a window — at a set rate, as fast as the
// chain takes, or the NDR by binary search — and collect the results into one report.

import { ndrTrialBound, searchNdr } from './ndr';
import { aggregateTrials } from './repeat';
import type { CompareReport, CompareResult, FrameSize, SwapNote } from './model';

export interface ComparePlan {
  stage: string;
  variants: string[];
  sizes: FrameSize[];
  /** Packets/s; 0 = as fast as the chain takes; ignored with ndr. */
  rate: number;
  ndr: { resolution: number; maxIterations: number; lossTolerance?: number; maxLatencyS?: number } | null;
  warmupS: number;
  durationS: number;
  /** Trials per variant and size; their medians and spread are reported (default 1). */
  repeat?: number;
}

/** Where the measurements come from: an embedded chain per trial, or the compose chain. */
export interface CompareBackend {
  mode: 'embedded' | 'compose';
  chain: string;
  profile: string;
  batchSize: number;
  /** Compose: the generator container's own rate (packets/s, 0 = unlimited), null when not known, and why. */
  trafficRate?: number | null;
  trafficRateUnknown?: string;
  /** Puts the variant in place before its trials (compose: a swap through the controller). */
  prepare?(variant: string): Promise<SwapNote | null>;
  measure(variant: string, size: FrameSize, rate: number): Promise<CompareResult>;
  /** After the last trial, whatever happened (compose: the generator's own rate put back after a search). */
  finish?(): Promise<void>;
}

export interface CompareProgress {
  /** Trials done and the (upper bound of the) number of trials. */
  done: number;
  total: number;
  /** Seconds one trial is meant to take (warm-up + window). */
  stepS: number;
  label: string;
  last?: CompareResult;
}

export async function runCompare(
  plan: ComparePlan,
  backend: CompareBackend,
  onProgress: (p: CompareProgress) => void = () => undefined,
): Promise<CompareReport> {
  const cells = plan.variants.length * plan.sizes.length;
  const perCell = plan.ndr ? 1 + ndrTrialBound(plan.ndr) : 1;
  const repeat = plan.repeat ?? 1;
  if (!(Number.isInteger(repeat) && repeat >= 1))
    throw new RangeError(`repeat must be a whole number >= 1, not ${repeat}`);
  let total = cells * perCell * repeat;
  let done = 0;
  const stepS = plan.warmupS + plan.durationS;
  const results: CompareResult[] = [];
  const swaps: SwapNote[] = [];
  const sizeLabel = (s: FrameSize): string => (s === 'imix' ? 'IMIX' : `${s} B`);
  onProgress({ done, total, stepS, label: 'starting' });
  try {
    await compareCells();
  } finally {
    await backend.finish?.();
  }
  async function compareCells(): Promise<void> {
    for (const variant of plan.variants) {
      if (backend.prepare) {
        onProgress({ done, total, stepS, label: `${plan.stage} -> ${variant}: swapping` });
        const note = await backend.prepare(variant);
        if (note) swaps.push(note);
      }
      for (const size of plan.sizes) {
        const cell = `${plan.stage}=${variant} ${sizeLabel(size)}`;
        const trials: CompareResult[] = [];
        for (let k = 0; k < repeat; k++) {
          const cellK = repeat > 1 ? `${cell} (trial ${k + 1}/${repeat})` : cell;
          if (plan.ndr) {
            let steps = 0;
            const { best } = await searchNdr(
              (rate) => {
                onProgress({
                  done,
                  total,
                  stepS,
                  label: `${cellK} NDR ${rate > 0 ? `trial at ${Math.round(rate)} pps` : 'upper bound (unlimited)'}`,
                });
                return backend.measure(variant, size, rate);
              },
              plan.ndr,
              (r) => {
                steps++;
                done++;
                onProgress({ done, total, stepS, label: cellK, last: r });
              },
            );
            // the search may stop before its bound: the total shrinks by what it did not need
            total -= perCell - steps;
            trials.push(best);
          } else {
            onProgress({
              done,
              total,
              stepS,
              label: `${cellK} at ${plan.rate > 0 ? `${plan.rate} pps` : 'full speed'}`,
            });
            const r = await backend.measure(variant, size, plan.rate);
            done++;
            trials.push(r);
            onProgress({ done, total, stepS, label: cellK, last: r });
          }
        }
        results.push(aggregateTrials(trials));
      }
    }
  }
  return {
    kind: 'vnflab-compare',
    version: 1,
    mode: backend.mode,
    created_at: new Date().toISOString(),
    chain: backend.chain,
    profile: backend.profile,
    stage: plan.stage,
    variants: plan.variants,
    sizes: plan.sizes,
    settings: {
      rate_pps: plan.ndr ? null : backend.mode === 'compose' ? (backend.trafficRate ?? null) : plan.rate,
      ndr: plan.ndr
        ? {
            resolution: plan.ndr.resolution,
            max_iterations: plan.ndr.maxIterations,
            ...(plan.ndr.lossTolerance
              ? { loss_tolerance: plan.ndr.lossTolerance === Infinity ? null : plan.ndr.lossTolerance }
              : {}),
            ...(plan.ndr.maxLatencyS !== undefined ? { max_latency_s: plan.ndr.maxLatencyS } : {}),
          }
        : null,
      warmup_s: plan.warmupS,
      duration_s: plan.durationS,
      batch_size: backend.batchSize,
      repeat,
    },
    results,
    ...(backend.mode === 'compose' ? { swaps } : {}),
  };
}
