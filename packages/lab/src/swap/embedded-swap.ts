// Live swaps in an embedded chain: a stage's element is wrapped before the chain starts, then
// replaced by another variant while traffic flows, built from the chain's own settings for the
// stage. The stage's counters carry on; its variant label follows the swap.

import type { Element, StageRegistry } from '@vnflab/core';
import { wireStage, type ChainStage, type EmbeddedChain } from '@vnflab/runtime';
import { SwappableElement, type ElementSwapReport } from './swappable-element';

function findStage(ec: EmbeddedChain, stage: string): { s: ChainStage; i: number } {
  const i = ec.stages.findIndex((x) => x.name === stage || x.stage === stage);
  if (i < 0) throw new Error(`the chain has no stage "${stage}" (stages: ${ec.stages.map((x) => x.name).join(', ')})`);
  if (i === 0) throw new Error(`${stage} is the traffic source; only stages after it can be swapped`);
  return { s: ec.stages[i], i };
}

/** Wraps the stage's element so it can be swapped later; call before ec.start(). */
export function makeSwappable(ec: EmbeddedChain, stage: string): SwappableElement {
  const { s } = findStage(ec, stage);
  if (s.element instanceof SwappableElement) return s.element;
  const w = new SwappableElement(s.element as Element);
  s.element = w;
  return w;
}

/** Swaps `stage` of a running embedded chain to `variant`. */
export async function swapEmbedded(
  ec: EmbeddedChain,
  registry: StageRegistry,
  stage: string,
  variant: string,
): Promise<ElementSwapReport> {
  const { s, i } = findStage(ec, stage);
  if (!(s.element instanceof SwappableElement))
    throw new Error(`${s.name} was not made swappable before the chain started (makeSwappable)`);
  const def = registry.get(s.stage);
  if (!def.variants.includes(variant))
    throw new Error(`${s.stage} has no variant "${variant}" (variants: ${def.variants.join(', ')})`);
  const report = await s.element.swap(() => wireStage(registry, ec.chain, i, ec.costs, variant).element as Element);
  s.variant = variant;
  s.stats.variant = variant;
  return report;
}
