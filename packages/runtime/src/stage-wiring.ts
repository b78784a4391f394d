// How a chain entry becomes a running stage, the same embedded and as a service: the element is
// created from the registry with the run's costs, only the first stage may be (and must be) a
// source, and time the element does not bill itself goes to the stage's default CPU category.

import {
  Cat,
  ConfigError,
  memoryBudget,
  neighbourValues,
  type Category,
  type Costs,
  type Element,
  type ResolvedChain,
  type Source,
  type StageDefinition,
  type StageRegistry,
} from '@vnflab/core';

export function isSource(e: Element | Source): e is Source {
  return typeof (e as Source).fill === 'function';
}

export type WiredStage = { def: StageDefinition; defaultCategory: number } & (
  { source: true; element: Source } | { source: false; element: Element }
);

/** Creates the element of `chain.stages[index]` (of its variant, or `variant`: a live swap) and checks it may sit there. */
export function wireStage(
  registry: StageRegistry,
  chain: ResolvedChain,
  index: number,
  costs: Costs,
  variant?: string,
): WiredStage {
  const entry = chain.stages[index];
  const def = registry.get(entry.stage);
  let element: Element | Source;
  try {
    element = def.create(variant ?? entry.variant, entry.settings, {
      costs,
      chain: chain.name,
      provided: neighbourValues(registry, chain.stages, index),
      memoryBudget: memoryBudget(chain),
      loop: chain.loop === true,
    });
  } catch (e) {
    // a setting the schema let through but the stage refuses (a bad address, a table size that
    // is not prime): bad usage, named by the stage's place in the chain and its own message
    throw new ConfigError(`stages[${index}] (${entry.name}): ${(e as Error).message}`);
  }
  const defaultCategory = Cat[def.defaultCategory as Category] ?? Cat.app;
  if (index === 0) {
    if (!isSource(element)) throw new Error(`${entry.name}: the first stage must be a source`);
    return { def, defaultCategory, source: true, element };
  }
  if (isSource(element)) throw new Error(`${entry.name}: a source can only be the first stage`);
  return { def, defaultCategory, source: false, element };
}
