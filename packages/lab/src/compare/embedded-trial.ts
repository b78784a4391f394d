// One embedded measurement: the chain built with the variant under test (the stage's element
// swapped in one process), the generator at the size and rate asked for, a warm-up, then a
// window measured while traffic flows; then the generator stops and the chain drains.

import { ConfigError, validateChain, type ResolvedChain, type StageRegistry } from '@vnflab/core';
import { EmbeddedChain } from '@vnflab/runtime';
import { readChainCounters, windowResult } from './embedded-window';
import { PacedSource } from './paced-source';
import type { CompareResult, FrameSize } from './model';

export interface EmbeddedTrial {
  registry: StageRegistry;
  base: ResolvedChain;
  /** The stage's name in the chain or its type (e.g. nic). */
  stage: string;
  variant: string;
  size: FrameSize;
  /** Packets/s; 0 = as fast as the chain takes. */
  rate: number;
  warmupS: number;
  durationS: number;
  /** The chain's source, for messages. */
  where?: string;
}

/** The chain of a trial: the base chain with the variant and the traffic set; errors name the key. */
export function trialChain(t: EmbeddedTrial): { chain: ResolvedChain; stageIndex: number } {
  const at =
    t.base.stages.findIndex((s) => s.name === t.stage) >= 0
      ? t.base.stages.findIndex((s) => s.name === t.stage)
      : t.base.stages.findIndex((s) => s.stage === t.stage);
  if (at <= 0)
    throw new ConfigError(
      `${t.where ?? 'chain'}: no stage "${t.stage}" to compare (stages: ${t.base.stages
        .slice(1)
        .map((s) => s.name)
        .join(', ')})`,
    );
  const tg = { ...t.base.stages[0].settings };
  // the comparison drives the traffic: synthetic frames, unbounded, at the size and rate given
  for (const k of ['count', 'duration', 'pcap_in', 'pcap_timing', 'pcap_speed', 'pcap_loop']) delete tg[k];
  tg.size = t.size;
  // a set rate is paced by PacedSource (whole batches), the generator itself runs unlimited
  tg.rate = 0;
  try {
    const chain = validateChain(
      {
        name: t.base.name,
        description: t.base.description,
        profile: t.base.profile,
        batch_size: t.base.batchSize,
        bus: t.base.bus,
        stages: t.base.stages.map((s, i) => ({
          stage: s.stage,
          name: s.name,
          variant: i === at ? t.variant : s.variant,
          settings: i === 0 ? tg : s.settings,
        })),
      },
      t.registry,
      t.where,
    );
    return { chain, stageIndex: at };
  } catch (e) {
    if (e instanceof ConfigError && e.message.includes(`stages[${at}]`)) {
      throw new ConfigError(
        `${e.message} (the chain's ${t.base.stages[at].name} settings must suit every variant compared; ${t.variant} refuses them)`,
      );
    }
    throw e;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runEmbeddedTrial(t: EmbeddedTrial): Promise<CompareResult> {
  const { chain, stageIndex } = trialChain(t);
  const ec = new EmbeddedChain(chain, t.registry);
  // the bucket holds what one hop holds: a stall the chain's buffers would absorb is no loss
  const paced = t.rate > 0 ? new PacedSource(ec.source, t.rate, chain.batchSize, chain.bus.bound) : null;
  if (paced) ec.stages[0].element = paced;
  const run = ec.start();
  try {
    await sleep(t.warmupS * 1e3);
    const a = readChainCounters(ec);
    await sleep(t.durationS * 1e3);
    const b = readChainCounters(ec);
    return windowResult(ec, a, b, {
      stageIndex,
      variant: ec.stages[stageIndex].variant,
      size: t.size,
      rate: t.rate,
      slack: paced?.slack ?? 0,
    });
  } finally {
    ec.stop();
    await run;
  }
}
