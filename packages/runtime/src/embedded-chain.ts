// Runs a whole chain in one process on the in-memory bus: the generator, every middle stage and
// the backends, each hosted by the same StageRunner the services use.

import { performance } from 'node:perf_hooks';
import {
  BatchPool,
  Costs,
  MemoryBus,
  StageStats,
  checkMemoryBudget,
  loadProfile,
  silentLogger,
  type Element,
  type ElementContext,
  type Logger,
  type ResolvedChain,
  type Source,
  type StageRegistry,
} from '@vnflab/core';
import { SourceRunner } from './source-runner';
import { StageRunner } from './stage-runner';
import { isSource, wireStage } from './stage-wiring';

export interface ChainStage {
  name: string;
  stage: string;
  variant: string;
  stats: StageStats;
  element: Element | Source;
}

export class EmbeddedChain {
  readonly stages: ChainStage[] = [];
  readonly costs: Costs;
  readonly bus: MemoryBus;
  readonly pool: BatchPool;
  startedAt = 0;
  endedAt = 0;
  private done?: Promise<void>;
  /** Per stage, the CPU category for time its element does not bill itself. */
  private readonly defaultCategories: number[] = [];

  constructor(
    readonly chain: ResolvedChain,
    registry: StageRegistry,
    readonly log: Logger = silentLogger,
  ) {
    // settings that would exhaust memory are refused before anything is allocated
    checkMemoryBudget(chain, registry);
    this.costs = new Costs(loadProfile(chain.profile));
    // enough batches for every hop's bound plus one in hand per stage
    this.pool = new BatchPool(chain.batchSize);
    this.bus = new MemoryBus({ bound: chain.bus.bound, policy: chain.bus.policy });
    chain.stages.forEach((s, i) => {
      if (s.replicas > 1)
        log.warn({ stage: s.name }, 'replicas apply to services; the embedded chain runs one instance');
      const { element, defaultCategory } = wireStage(registry, chain, i, this.costs);
      this.stages.push({
        name: s.name,
        stage: s.stage,
        variant: element.variant,
        stats: new StageStats(s.stage, element.variant, s.name),
        element,
      });
      this.defaultCategories.push(defaultCategory);
    });
  }

  get source(): Source {
    return this.stages[0].element as Source;
  }

  private ctx(s: ChainStage): ElementContext {
    return { stats: s.stats, costs: this.costs, log: this.log };
  }

  start(): Promise<void> {
    if (this.done) return this.done;
    this.startedAt = performance.now();
    const hop = (i: number): string => `${this.chain.name}:${this.stages[i].name}`;
    const runs: Promise<void>[] = [];
    this.stages.forEach((s, i) => {
      // placement was checked by wireStage; a swapped or tapped element keeps its kind
      if (isSource(s.element)) {
        runs.push(new SourceRunner(s.element, this.ctx(s), this.pool, this.bus.producer(hop(1))).run());
        return;
      }
      const last = i === this.stages.length - 1;
      const runner = new StageRunner({
        element: s.element,
        ctx: this.ctx(s),
        input: this.bus.consumer(hop(i)),
        output: last ? null : this.bus.producer(hop(i + 1)),
        stageIndex: i,
        release: (b) => this.pool.put(b),
        defaultCategory: this.defaultCategories[i],
      });
      runs.push(runner.start());
    });
    this.done = Promise.all(runs).then(async () => {
      this.endedAt = performance.now();
      for (const s of this.stages) if (!isSource(s.element)) await s.element.close?.();
    });
    return this.done;
  }

  /** Graceful stop: the generator stops, every stage drains what is in flight. */
  stop(): void {
    this.source.stop();
  }

  elapsedSeconds(): number {
    return ((this.endedAt || performance.now()) - this.startedAt) / 1e3;
  }
}
