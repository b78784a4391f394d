// Runs a whole chain in one process on the in-memory bus: the generator, every middle stage and
// the backends, each hosted by the same StageRunner the services use. A loop chain adds a way
// back: hop `<chain>:<stage>:return` into each stage but the last, a return runner per middle
// stage, and the source taking what comes back. Ends travel down the chain and back up: the last
// stage ends its way back when its input ended; a middle stage ends its way back when its return
// input ended and its forward runner finished (which may still send packets back).

import { performance } from 'node:perf_hooks';
import {
  BatchPool,
  Costs,
  type Batch,
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
import { ElementTicker } from './element-ticker';
import { OriginSender } from './origin-sender';
import { RunnerOutbox } from './outbox';
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

  /** The stage's context for one runner, with that runner's own outbox. */
  private ctx(s: ChainStage, i: number): ElementContext & { out: RunnerOutbox } {
    const last = i === this.stages.length - 1;
    const out = new RunnerOutbox(this.pool, i > 0 && !last, i > 0 && this.chain.loop === true, s.name);
    return { stats: s.stats, costs: this.costs, log: this.log, out };
  }

  start(): Promise<void> {
    if (this.done) return this.done;
    this.startedAt = performance.now();
    const hop = (i: number): string => `${this.chain.name}:${this.stages[i].name}`;
    // the way back into stage i
    const back = (i: number): string => `${hop(i)}:return`;
    const loop = this.chain.loop === true;
    const release = (b: Batch): void => this.pool.put(b);
    const runs: Promise<void>[] = [];
    this.stages.forEach((s, i) => {
      // placement was checked by wireStage; a swapped or tapped element keeps its kind
      if (isSource(s.element)) {
        const r = new SourceRunner(s.element, this.ctx(s, i), this.pool, this.bus.producer(hop(1)));
        if (loop) r.takeReturns(this.bus.consumer(back(0)), release);
        runs.push(r.run());
        return;
      }
      const element = s.element;
      const last = i === this.stages.length - 1;
      const forwardOut = last ? null : this.bus.producer(hop(i + 1));
      const backOut = loop ? this.bus.producer(back(i - 1)) : null;
      const origin = new OriginSender(forwardOut, backOut, s.stats, release, i);
      const ticker = element.tick
        ? new ElementTicker(element, this.ctx(s, i), origin, this.defaultCategories[i])
        : null;
      ticker?.start();
      const common = { element, stageIndex: i, release, defaultCategory: this.defaultCategories[i], origin };
      if (last) {
        // the last stage's survivors turn around (loop) or are received (open)
        runs.push(
          new StageRunner({
            ...common,
            ctx: this.ctx(s, i),
            input: this.bus.consumer(hop(i)),
            output: backOut,
            end: async () => {
              await ticker?.stop();
              origin.backEnded = true;
              await backOut?.end();
            },
          }).start(),
        );
        return;
      }
      const forwardDone = new StageRunner({
        ...common,
        ctx: this.ctx(s, i),
        input: this.bus.consumer(hop(i)),
        output: forwardOut,
        end: async () => {
          if (!loop) await ticker?.stop();
          origin.forwardEnded = true;
          await forwardOut!.end();
        },
      }).start();
      runs.push(forwardDone);
      if (!loop) return;
      runs.push(
        new StageRunner({
          ...common,
          direction: 'return',
          ctx: this.ctx(s, i),
          input: this.bus.consumer(back(i)),
          output: backOut,
          end: async () => {
            await forwardDone;
            await ticker?.stop();
            origin.backEnded = true;
            await backOut!.end();
          },
        }).start(),
      );
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
