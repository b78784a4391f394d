// The memory budget, checked before a chain is built: settings that would exhaust the machine
// (1024-packet batches with 100000 batches per hop, 64 VIPs of 16777213-slot Maglev tables) are
// refused at once with the estimate and its biggest contributors, instead of swapping for
// minutes. The estimate counts the batches the chain can hold in flight and each stage's large
// structures as its manifest reports them (`StageDefinition.memoryBytes`); small objects and the
// runtime itself are not counted, so it is a floor, not a forecast.

import { totalmem } from 'node:os';
import { batchBytes } from '../batch/batch';
import { formatBytes, parseByteSize } from './byte-size';
import { ConfigError, type ResolvedChain } from './config';
import type { MemoryUse, StageRegistry } from './registry';

/** The budget when neither the chain file nor the environment sets one: half the machine, at most this. */
export const DEFAULT_MEMORY_BUDGET = 2 ** 31;
export const MEMORY_BUDGET_ENV = 'VNFLAB_MEMORY_BUDGET';

/** One part of the estimate, named by the key that sizes it (`stages[3].settings.table_size`). */
export interface MemoryContribution {
  key: string;
  bytes: number;
  what: string;
}

export interface MemoryBudget {
  bytes: number;
  /** Where it came from, for the refusal: the environment, the chain file or the default. */
  source: string;
}

/**
 * The budget: VNFLAB_MEMORY_BUDGET (an operator's limit for this machine wins), else the chain
 * file's `memory_budget`, else half the machine's memory capped at DEFAULT_MEMORY_BUDGET.
 */
export function memoryBudget(
  chain: ResolvedChain,
  env: NodeJS.ProcessEnv = process.env,
  machineBytes = totalmem(),
): MemoryBudget {
  return budgetOf(chain.memoryBudget, env, machineBytes);
}

/** memoryBudget with the chain file's `memory_budget` given directly (undefined: not set). */
export function budgetOf(
  fromChain: number | undefined,
  env: NodeJS.ProcessEnv = process.env,
  machineBytes = totalmem(),
): MemoryBudget {
  const fromEnv = env[MEMORY_BUDGET_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const bytes = parseByteSize(fromEnv);
    if (bytes === null)
      throw new ConfigError(
        `${MEMORY_BUDGET_ENV}: ${JSON.stringify(fromEnv)} is not a size (give bytes, or e.g. 512MiB, 4GiB)`,
      );
    return { bytes, source: MEMORY_BUDGET_ENV };
  }
  if (fromChain !== undefined) return { bytes: fromChain, source: 'memory_budget' };
  return {
    bytes: Math.min(DEFAULT_MEMORY_BUDGET, Math.floor(machineBytes / 2)),
    source: `the default, half of this machine's ${formatBytes(machineBytes)} up to 2 GiB`,
  };
}

/**
 * What the chain's settings imply, biggest first. `hops` batches can wait on each hop
 * (`bus.bound`) and each stage holds one in hand; every one is a full Batch.allocate buffer.
 */
export function estimateChainMemory(chain: ResolvedChain, registry: StageRegistry): MemoryContribution[] {
  const hops = chain.stages.length - 1;
  const batches = chain.bus.bound * hops + chain.stages.length;
  const out: MemoryContribution[] = [
    {
      key: 'batch_size, bus.bound',
      bytes: batches * batchBytes(chain.batchSize),
      what: `${batches} batches (bus.bound ${chain.bus.bound} x ${hops} hops + ${chain.stages.length} in hand) x batch_size ${chain.batchSize} x ${batchBytes(1) - batchBytes(0)} B`,
    },
  ];
  chain.stages.forEach((_, i) => out.push(...stageStructures(chain, registry, i)));
  return out.sort((a, b) => b.bytes - a.bytes);
}

/**
 * What one stage implies as a service (`vnflab serve`): its own structures and the batch in its
 * hands; the hops' batches wait in Redis, not in its process.
 */
export function estimateStageMemory(
  chain: ResolvedChain,
  registry: StageRegistry,
  index: number,
): MemoryContribution[] {
  const out: MemoryContribution[] = [
    {
      key: 'batch_size',
      bytes: batchBytes(chain.batchSize),
      what: `the batch in hand: batch_size ${chain.batchSize} x ${batchBytes(1) - batchBytes(0)} B`,
    },
    ...stageStructures(chain, registry, index),
  ];
  return out.sort((a, b) => b.bytes - a.bytes);
}

/** The large structures stage `index` reports through its manifest, named by their keys. */
function stageStructures(chain: ResolvedChain, registry: StageRegistry, index: number): MemoryContribution[] {
  const s = chain.stages[index];
  let uses: MemoryUse[] = [];
  try {
    uses = registry.get(s.stage).memoryBytes?.(s.variant, s.settings) ?? [];
  } catch {
    // settings the stage refuses: creating it reports them, naming the key (stage-wiring.ts)
  }
  return uses.map((use) => ({
    key: `stages[${index}].settings.${use.key}`,
    bytes: use.bytes,
    what: `${s.name}: ${use.what}`,
  }));
}

/**
 * Refuses (ConfigError) a chain whose estimate exceeds the budget, in one line naming the
 * estimate, the budget and where it came from, and the biggest contributors. Returns the
 * estimate's total otherwise.
 */
export function checkMemoryBudget(
  chain: ResolvedChain,
  registry: StageRegistry,
  env: NodeJS.ProcessEnv = process.env,
  machineBytes = totalmem(),
): number {
  const parts = estimateChainMemory(chain, registry);
  return refuseOverBudget(`chain "${chain.name}"`, parts, memoryBudget(chain, env, machineBytes));
}

/** checkMemoryBudget for one stage run as a service (estimateStageMemory). */
export function checkStageMemoryBudget(
  chain: ResolvedChain,
  registry: StageRegistry,
  index: number,
  env: NodeJS.ProcessEnv = process.env,
  machineBytes = totalmem(),
): number {
  const parts = estimateStageMemory(chain, registry, index);
  const what = `stage ${chain.stages[index].name} of chain "${chain.name}"`;
  return refuseOverBudget(what, parts, memoryBudget(chain, env, machineBytes));
}

function refuseOverBudget(what: string, parts: MemoryContribution[], budget: MemoryBudget): number {
  const why = overBudget(what, parts, budget);
  if (why) throw new ConfigError(why);
  return parts.reduce((sum, p) => sum + p.bytes, 0);
}

/**
 * The refusal, in one line naming the estimate, the budget and where it came from, and the
 * biggest contributors, when `parts` exceed `budget`; null when they fit. (Also for settings
 * changed at run time, e.g. the lb's PUT /lb/table.)
 */
export function overBudget(what: string, parts: MemoryContribution[], budget: MemoryBudget): string | null {
  const total = parts.reduce((sum, p) => sum + p.bytes, 0);
  if (total <= budget.bytes) return null;
  // the parts that matter: the biggest, and the others down to a hundredth of the estimate
  const biggest = parts
    .slice(0, 3)
    .filter((p, i) => i === 0 || p.bytes >= total / 100)
    .map((p) => `${p.key} ${formatBytes(p.bytes)} (${p.what})`)
    .join('; ');
  return `${what}: its settings need an estimated ${formatBytes(total)}, over the memory budget of ${formatBytes(budget.bytes)} (${budget.source}); biggest: ${biggest}. Lower them, or raise the budget with memory_budget in the chain file or ${MEMORY_BUDGET_ENV}`;
}
