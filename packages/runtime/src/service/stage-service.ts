// Hosts one stage of a chain as a service on the Redis bus: the generator with the SourceRunner,
// every other stage with the StageRunner — the same loops the embedded chain uses, only the bus
// differs. Seeds the stage's counters from its ledger (a restarted instance carries on counting),
// drains gracefully, changes settings at run time, and reports itself as ServiceStatsJson.
// In a loop chain the stage also hosts its way back (hop `<stage>:return`, read by the return
// runner; the source takes what comes back), ended as the embedded chain ends it: a per-hop end
// flag set by the hop's one producer once it is done (see embedded-chain.ts).

import { setTimeout as delay } from 'node:timers/promises';
import {
  BatchDedup,
  BatchPool,
  Costs,
  RedisBus,
  StageStats,
  StatsLedger,
  checkStageMemoryBudget,
  MAX_GROUP,
  hopBoundBytes,
  histogramToJson,
  loadProfile,
  monoNs,
  openCaptureWriter,
  readRunQueue,
  redactUrl,
  schemaErrors,
  statsToJson,
  type Element,
  type Batch,
  type ElementContext,
  type Logger,
  type RedisConsumer,
  type RedisProducer,
  type Source,
  type StageDefinition,
  type StageRegistry,
} from '@vnflab/core';
import { CaptureTap } from '../capture-tap';
import { ElementTicker } from '../element-ticker';
import { OriginSender, originIdBase } from '../origin-sender';
import { RunnerOutbox } from '../outbox';
import { SourceRunner } from '../source-runner';
import { loadSourceState, saveSourceState } from './source-epoch';
import { StageRunner } from '../stage-runner';
import { isSource, wireStage } from '../stage-wiring';
import type { ServiceSettings } from './service-settings';
import type { ServiceState, ServiceStatsJson } from './service-stats';

/** A refused run-time settings change: its HTTP status and error code (see http/error-handler.ts). */
export class ControlError extends Error {
  readonly code: string;

  constructor(
    message: string,
    readonly status: 400 | 409,
  ) {
    super(message);
    this.code = status === 409 ? 'not_configurable' : 'bad_settings';
  }
}

export class StageService {
  readonly def: StageDefinition;
  readonly element: Element | Source;
  readonly stats: StageStats;
  readonly bus: RedisBus;
  readonly ledger: StatsLedger;
  readonly consumer: RedisConsumer | null = null;
  readonly producer: RedisProducer | null = null;
  state: ServiceState = 'starting';
  startedMonoNs = 0;
  finishedMonoNs = 0;
  private readonly ctx: ElementContext;
  private readonly pool: BatchPool;
  private readonly runner: StageRunner | null = null;
  /** A loop chain's way back: its input, output, runner (middle stages) and the source's. */
  readonly returnConsumer: RedisConsumer | null = null;
  private readonly returnRunner: StageRunner | null = null;
  private readonly sourceRunner: SourceRunner | null = null;
  private readonly ticker: ElementTicker | null = null;
  private readonly originProducers: RedisProducer[] = [];
  private done?: Promise<void>;
  private closed = false;
  /**
   * Whether stopping the generator (drain) ends the run. Off in a service: a generator stopped by
   * SIGTERM (a container recreated with new traffic) leaves the run open and the next generator
   * continues it; only a generator that finished its count or duration, or was told to end
   * (PUT /traffic {end: true}), declares the end. On under `vnflab run --bus`, which owns the run.
   */
  stopEndsRun = false;

  constructor(
    readonly cfg: ServiceSettings,
    registry: StageRegistry,
    readonly log: Logger,
  ) {
    const { chain, index } = cfg;
    const entry = chain.stages[index];
    // settings that would exhaust memory are refused before anything is allocated
    checkStageMemoryBudget(chain, registry, index);
    const costs = new Costs(loadProfile(chain.profile));
    const wired = wireStage(registry, chain, index, costs);
    this.def = wired.def;
    const element =
      !wired.source && cfg.capture ? new CaptureTap(wired.element, openCaptureWriter(cfg.capture)) : wired.element;
    this.element = element;
    this.stats = new StageStats(entry.stage, element.variant, cfg.instance);
    this.ctx = { stats: this.stats, costs, log };
    this.pool = new BatchPool(chain.batchSize);
    this.bus = new RedisBus({
      url: cfg.busUrl,
      prefix: cfg.prefix,
      bound: chain.bus.bound,
      boundBytes: chain.bus.boundBytes,
      policy: chain.bus.policy,
      claimIdleMs: cfg.claimIdleMs,
      blockMs: cfg.blockMs,
      prefetch: cfg.prefetch,
      log,
      cpu: this.stats.cpu,
    });
    // kept with the hop the instance reads (the generator: the hop it feeds), in that hop's slot
    const ledgerHop = isSource(element) ? chain.stages[1].name : entry.name;
    this.ledger = new StatsLedger(this.bus.ledgerKey(cfg.instance, ledgerHop), this.stats);
    const last = index === chain.stages.length - 1;
    const loop = chain.loop === true;
    const cpu = this.stats.cpu;
    const release = (b: Batch): void => this.pool.put(b);
    // the way back into stage i, and the consumer that reads it (ended by its one producer's flag)
    const backHop = (i: number): string => `${chain.stages[i].name}:return`;
    const backConsumer = (i: number): RedisConsumer =>
      this.bus.consumer(backHop(i), backHop(i), cfg.instance, {
        ledger: new StatsLedger(this.bus.ledgerKey(`${cfg.instance}:return`, backHop(i)), null),
        cpu,
        endHops: [{ hop: backHop(i), group: backHop(i) }],
        endFlag: this.bus.endKey(backHop(i)),
        dedup: new BatchDedup(),
        log,
        readAhead: true,
        pool: this.pool,
      });
    const outbox = (): RunnerOutbox => new RunnerOutbox(this.pool, index > 0 && !last, index > 0 && loop, entry.name);
    const ctxOf = (out: RunnerOutbox): ElementContext & { out: RunnerOutbox } => ({ ...this.ctx, out });
    if (isSource(element)) {
      this.producer = this.bus.producer(chain.stages[1].name, {
        ledger: this.ledger,
        cpu,
        release,
      });
      // a fresh batch id range per start (see batch-dedup.ts)
      this.sourceRunner = new SourceRunner(
        element,
        ctxOf(outbox()),
        this.pool,
        this.producer,
        0,
        Date.now() * 1000,
      ).inFlight(MAX_GROUP);
      if (loop) {
        this.returnConsumer = backConsumer(0);
        this.sourceRunner.takeReturns(this.returnConsumer, release);
      }
      return;
    }
    this.consumer = this.bus.consumer(entry.name, entry.name, cfg.instance, {
      ledger: this.ledger,
      cpu,
      endHops: chain.stages.slice(1, index + 1).map((s) => ({ hop: s.name, group: s.name })),
      dedup: new BatchDedup(),
      log,
      readAhead: true,
      pool: this.pool,
    });
    // packets the element originates go on untied producers: they acknowledge no input
    const untied = (hop: string): RedisProducer => {
      const p = this.bus.producer(hop, { cpu, release, endFlag: null });
      this.originProducers.push(p);
      return p;
    };
    const origin = new OriginSender(
      last ? null : untied(chain.stages[index + 1].name),
      loop ? untied(backHop(index - 1)) : null,
      this.stats,
      release,
      index,
      0,
      originIdBase(index),
    );
    const ticker = element.tick ? new ElementTicker(element, ctxOf(outbox()), origin, wired.defaultCategory) : null;
    this.ticker = ticker;
    // batches in flight: as many as one commit settles (see commit-pipeline.ts); each decoded
    // batch goes back to the pool once settled: by the runner when nothing of it went on, by the
    // producer once its copy is committed
    const common = {
      element,
      stageIndex: index,
      defaultCategory: wired.defaultCategory,
      origin,
      inFlight: MAX_GROUP,
      release,
    };
    if (last) {
      // the last stage's survivors turn around (loop) or are received (open)
      const backOut = loop
        ? this.bus.producer(backHop(index - 1), {
            acks: this.consumer,
            cpu,
            release,
            endFlag: this.bus.endKey(backHop(index - 1)),
          })
        : null;
      this.producer = backOut;
      this.runner = new StageRunner({
        ...common,
        ctx: ctxOf(outbox()),
        input: this.consumer,
        output: backOut,
        end: async () => {
          await ticker?.stop();
          origin.backEnded = true;
          await backOut?.end();
        },
      });
      return;
    }
    const forwardOut = this.bus.producer(chain.stages[index + 1].name, { acks: this.consumer, cpu, release });
    this.producer = forwardOut;
    this.runner = new StageRunner({
      ...common,
      ctx: ctxOf(outbox()),
      input: this.consumer,
      output: forwardOut,
      end: async () => {
        if (!loop) await ticker?.stop();
        origin.forwardEnded = true;
        await forwardOut.end();
      },
    });
    if (!loop) return;
    this.returnConsumer = backConsumer(index);
    const backOut = this.bus.producer(backHop(index - 1), {
      acks: this.returnConsumer,
      cpu,
      release,
      endFlag: this.bus.endKey(backHop(index - 1)),
    });
    const forwardRunner = this.runner;
    this.returnRunner = new StageRunner({
      ...common,
      direction: 'return',
      ctx: ctxOf(outbox()),
      input: this.returnConsumer,
      output: backOut,
      end: async () => {
        await forwardRunner.start(); // it may still send packets back: they go before the end
        await ticker?.stop();
        origin.backEnded = true;
        await backOut.end();
      },
    });
  }

  /** Runs the stage until its input has ended (the generator: until it is done). */
  start(): Promise<void> {
    this.done ??= this.run();
    return this.done;
  }

  private async run(): Promise<void> {
    await this.bus.whenReady();
    // hops that could fill Redis are refused
    await this.bus.checkMemory(this.cfg.chain.stages.length - 1, hopBoundBytes(this.cfg.chain));
    const stored = await this.bus.readLedger(this.ledger.key);
    if (isSource(this.element)) {
      // a generator that replaces an earlier one continues its run: the counts go on from the
      // ledger, and the source numbers its packets past the earlier ones (a new epoch; its batch
      // ids are a range of their own, see the constructor)
      if (Object.keys(stored).length) {
        this.ledger.seed(stored);
        const before = this.stats.packetsOut;
        if (this.element.resume)
          this.element.resume(before, await loadSourceState(this.bus, before).catch(() => undefined));
        else
          this.log.warn(
            { ledger: this.ledger.key },
            "this source cannot continue an earlier one: the earlier packets' sequence numbers may repeat",
          );
        this.log.info({ sent_before: before }, 'a generator of this run ran before: continuing its run');
      }
    } else if (Object.keys(stored).length) {
      this.ledger.seed(stored);
      this.log.info(
        { packets_in: this.stats.packetsIn, drops: this.stats.totalDrops() },
        'restarted: counting on from the committed ledger',
      );
    }
    if (this.state === 'draining') return; // stopped before it began
    this.state = 'running';
    this.startedMonoNs = monoNs();
    this.log.info({ input: this.consumer?.stream ?? null, output: this.producer?.stream ?? null }, 'running');
    this.ticker?.start();
    if (this.runner) await Promise.all([this.runner.start(), this.returnRunner?.start()]);
    else {
      await this.sourceRunner!.run();
      // the run goes on without this generator: its successor continues each flow's sequence
      // (best effort: without it the successor numbers past every earlier packet, see source-epoch.ts)
      if (!this.sourceRunner!.endedOutput && this.bus.connected)
        await saveSourceState(this.bus, this.element as Source).catch((e: Error) =>
          this.log.warn({ err: e.message }, "the generator's sequence state was not saved for its successor"),
        );
    }
    this.finishedMonoNs = monoNs();
    if (this.state === 'running') {
      this.state = 'finished';
      this.log.info(
        { packets_in: this.stats.packetsIn, packets_out: this.stats.packetsOut, drops: this.stats.totalDrops() },
        'finished: input ended',
      );
    }
    await this.closeElement();
  }

  /**
   * Graceful stop: read nothing new, finish and forward what is in hand, acknowledge. Resolves
   * true when nothing was left in hand within `timeoutMs`.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.state === 'finished' || this.state === 'failed') return true;
    const was = this.state;
    if (was === 'starting' && isSource(this.element) && this.stopEndsRun) {
      // a Ctrl-C under `vnflab run --bus` can reach the generator before it began: it sends
      // nothing but still ends the run, which the stages are waiting for
      this.element.stop();
      return Promise.race([this.start().then(() => true), delay(timeoutMs).then(() => false)]);
    }
    this.state = 'draining';
    if (was === 'starting' || !this.done) return true;
    if (isSource(this.element)) {
      if (!this.stopEndsRun) this.sourceRunner!.leaveOpen();
      this.element.stop();
    } else {
      this.consumer!.stop();
      this.runner!.stop();
      // a loop chain's way back keeps reading until its producer ends it: it still carries the
      // answers to what the stages forwarded
    }
    const ok = await Promise.race([this.done.then(() => true), delay(timeoutMs).then(() => false)]);
    if (ok) return true;
    // stuck waiting on Redis with nothing in hand loses nothing: Redis keeps what was not committed
    const inHand = this.consumer ? this.consumer.inHand() + (this.returnConsumer?.inHand() ?? 0) : 1;
    this.log.warn({ in_hand: inHand, timeout_ms: timeoutMs }, 'drain timed out');
    return this.consumer !== null && inHand === 0;
  }

  private async closeElement(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!isSource(this.element)) await this.element.close?.();
  }

  async close(): Promise<void> {
    await this.closeElement();
    this.consumer?.close();
    this.returnConsumer?.close();
    await this.ticker?.stop();
    await this.bus.close();
  }

  /** Ready: connected to Redis and processing (or done processing). */
  get ready(): boolean {
    return this.bus.connected && (this.state === 'running' || this.state === 'finished');
  }

  /** Run-time settings change (POST /control): checked against the stage's schema, then element.configure. */
  configure(settings: Record<string, unknown>): void {
    const el = this.element as Element;
    if (typeof el.configure !== 'function') throw new ControlError(`${this.def.stage} has no run-time settings`, 409);
    const errs = schemaErrors(this.def.settings, settings, 'settings', 5);
    if (errs.length) throw new ControlError(errs.join('; '), 400);
    try {
      el.configure(settings);
    } catch (e) {
      throw new ControlError((e as Error).message, 400);
    }
    this.stats.variant = el.variant;
    this.log.info({ settings }, 'settings changed at run time');
  }

  snapshot(): ServiceStatsJson {
    const cfg = this.cfg;
    const el = this.element;
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const rq = readRunQueue();
    const c = this.consumer;
    const p = this.producer;
    const rc = this.returnConsumer;
    this.stats.busPending = (c ? c.pending() : 0) + (rc ? rc.pending() : 0);
    // packets the element originated downstream were put on the forward hop too (bus loss check)
    let originProduced = 0;
    for (const op of this.originProducers)
      if (op.hop === (this.cfg.chain.stages[this.cfg.index + 1]?.name ?? '')) originProduced += op.ledger.produced;
    return {
      service: {
        chain: cfg.chain.name,
        run: cfg.run,
        stage: this.def.stage,
        name: cfg.name,
        instance: cfg.instance,
        replica: cfg.replica,
        index: cfg.index,
        variant: el.variant,
        pid: process.pid,
        state: this.state,
        ready: this.ready,
        started_mono_ns: this.startedMonoNs,
        finished_mono_ns: this.finishedMonoNs,
      },
      stats: statsToJson(this.stats),
      details: el.describe?.() ?? null,
      e2e: !isSource(el) && el.e2e ? histogramToJson(el.e2e) : null,
      sent: isSource(el) ? el.sent : null,
      bus: {
        kind: 'redis',
        url: redactUrl(cfg.busUrl),
        connected: this.bus.connected,
        epoch: this.bus.epoch,
        reconnects: this.bus.reconnects,
        produced: this.ledger.produced + originProduced,
        consumed: this.ledger.consumed,
        in_hand: (c ? c.inHand() : 0) + (rc ? rc.inHand() : 0),
        claimed_batches: c ? c.claimed : 0,
        malformed_entries: c ? c.malformed : 0,
        duplicate_batches: c ? c.duplicateBatches : 0,
        full_waits: p ? p.waits : 0,
        wait_seconds: p ? p.waitNs / 1e9 : 0,
        full_refused: p ? p.refused : 0,
      },
      process: {
        cpu_user_seconds: cpu.user / 1e6,
        cpu_system_seconds: cpu.system / 1e6,
        rss_bytes: mem.rss,
        heap_used_bytes: mem.heapUsed,
        external_bytes: mem.external,
        uptime_seconds: process.uptime(),
        runqueue_wait_seconds: rq ? rq.waitNs / 1e9 : null,
        run_periods: rq ? rq.periods : null,
      },
    };
  }
}
