// Runs a whole chain in one process on the in-memory bus: the generator, every middle stage and
// the backends, each hosted by the same StageRunner the services use.

import { performance } from 'node:perf_hooks';
import { BatchPool } from '../batch/pool';
import { MemoryBus } from '../bus/memory-bus';
import type { ResolvedChain } from '../chain/config';
import { neighbourValues, type StageRegistry } from '../chain/registry';
import { Cat, type Category } from '../cpu/categories';
import { Costs, loadProfile } from '../cpu/cost-profile';
import type { Element, ElementContext, Source } from '../element';
import { silentLogger, type Logger } from '../logger';
import { StageStats } from '../stats/stage-stats';
import { SourceRunner } from './source-runner';
import { StageRunner } from './stage-runner';

export interface ChainStage {
  name: string;
  stage: string;
  variant: string;
  stats: StageStats;
  element: Element | Source;
}

function isSource(e: Element | Source): e is Source {
  return typeof (e as Source).fill === 'function';
}

export class EmbeddedChain {
  readonly stages: ChainStage[] = [];
  readonly costs: Costs;
  readonly bus: MemoryBus;
  readonly pool: BatchPool;
  startedAt = 0;
  endedAt = 0;
  private done?: Promise<void>;

  constructor(readonly chain: ResolvedChain, private readonly registry: StageRegistry, readonly log: Logger = silentLogger) {
    this.costs = new Costs(loadProfile(chain.profile));
    // enough batches for every hop's bound plus one in hand per stage
    this.pool = new BatchPool(chain.batchSize);
    this.bus = new MemoryBus({ bound: chain.bus.bound, policy: chain.bus.policy });
    for (const [i, s] of chain.stages.entries()) {
      if (s.replicas > 1) log.warn({ stage: s.name }, 'replicas apply to services; the embedded chain runs one instance');
      const def = registry.get(s.stage);
      const element = def.create(s.variant, s.settings, { costs: this.costs, chain: chain.name, provided: neighbourValues(registry, chain.stages, i) });
      this.stages.push({ name: s.name, stage: s.stage, variant: element.variant, stats: new StageStats(s.stage, element.variant, s.name), element });
    }
  }

  get source(): Source {
    return this.stages[0].element as Source;
  }

  private ctx(s: ChainStage): ElementContext {
    return { stats: s.stats, costs: this.costs, log: this.log };
  }

  start(): Promise<void> {
    const registry = this.registry;
    if (this.done) return this.done;
    this.startedAt = performance.now();
    const hop = (i: number): string => `${this.chain.name}:${this.stages[i].name}`;
    const runs: Promise<void>[] = [];
    this.stages.forEach((s, i) => {
      if (i === 0) {
        if (!isSource(s.element)) throw new Error('the first stage must be a source');
        runs.push(new SourceRunner(s.element, this.ctx(s), this.pool, this.bus.producer(hop(1))).run());
        return;
      }
      if (isSource(s.element)) throw new Error(`${s.name}: a source can only be the first stage`);
      const last = i === this.stages.length - 1;
      const def = registry.get(s.stage);
      const runner = new StageRunner({
        element: s.element,
        ctx: this.ctx(s),
        input: this.bus.consumer(hop(i)),
        output: last ? null : this.bus.producer(hop(i + 1)),
        stageIndex: i,
        release: (b) => this.pool.put(b),
        defaultCategory: Cat[def.defaultCategory as Category] ?? Cat.app,
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
