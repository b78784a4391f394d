// The embedded side of `vnflab compare`: every trial is a fresh chain in this process with the
// variant's element in the stage (no Docker, no Redis).

import type { ResolvedChain, StageRegistry } from '@vnflab/core';
import type { CompareBackend } from './compare';
import { runEmbeddedTrial, trialChain } from './embedded-trial';

export function embeddedBackend(o: {
  registry: StageRegistry;
  base: ResolvedChain;
  stage: string;
  variants: string[];
  warmupS: number;
  durationS: number;
  where?: string;
}): CompareBackend {
  // every variant's chain is checked before the first trial, so a bad one fails in a second, not after an hour
  for (const v of o.variants) trialChain({ ...o, variant: v, size: 64, rate: 0 });
  return {
    mode: 'embedded',
    chain: o.base.name,
    profile: o.base.profile,
    batchSize: o.base.batchSize,
    measure: (variant, size, rate) =>
      runEmbeddedTrial({
        registry: o.registry,
        base: o.base,
        stage: o.stage,
        variant,
        size,
        rate,
        warmupS: o.warmupS,
        durationS: o.durationS,
        where: o.where,
      }),
  };
}
