// `vnflab run --bus redis://HOST:PORT`: every stage of the chain as its own `vnflab serve` process
// on that Redis (each replica too), with the same live table and JSON summary as the embedded run,
// built from the children's /stats. A child that dies is started again with the same identity;
// the run ends when the generator is done and every stage has drained; Ctrl-C stops the
// generator, so the chain drains before the summary.

import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ConfigError,
  LogHistogram,
  RedisBus,
  checkRedisMemory,
  busSection,
  hopBoundBytes,
  StageStats,
  createMetricsRegistry,
  histogramFromJson,
  mergeStats,
  probeRedis,
  redactUrl,
  statsFromJson,
  withBusPassword,
  type ResolvedChain,
} from '@vnflab/core';
import type { FastifyInstance } from 'fastify';
import type { ChainStage } from '../embedded-chain';
import { startMetricsServer } from '../metrics-server';
import { UsageError } from '../usage-error';
import { ServiceChild } from './service-child';
import { checkBusUrl, instanceName, runPrefix } from './service-settings';
import type { ServiceStatsJson } from './service-stats';
import { summarizeServices, type ServicesSummary } from './services-summary';

export interface MultiProcessOptions {
  busUrl: string;
  /** The `vnflab` command the children run as `<bin> serve ...` (node runs it). */
  bin: string;
  capture?: string;
  /** Serves /metrics of the whole run on this port (each stage also serves its own). */
  metricsPort?: number;
  /** Address that /metrics listens on (default 127.0.0.1). */
  metricsHost?: string;
  /** Called every second with the rows refreshed from the children's /stats (the live table). */
  onTick?: (elapsedS: number) => void;
  /** Children's log lines go here (JSON lines); otherwise only failures show them. */
  logFile?: string;
  /** Called once every child is up, with a way to stop the run gracefully (Ctrl-C) and the live rows. */
  onStart?: (stop: () => void, rows: ChainStage[]) => void | Promise<void>;
}

const MAX_RESTARTS = 10;
const STOP_TIMEOUT_MS = 15000;

/** The resolved chain as a chain file for the children (traffic flags already applied). */
function chainFile(chain: ResolvedChain, dir: string): string {
  const raw = {
    name: chain.name,
    description: chain.description,
    profile: chain.profile,
    batch_size: chain.batchSize,
    bus: busSection(chain.bus),
    memory_budget: chain.memoryBudget,
    ...(chain.loop ? { loop: true } : {}),
    stages: chain.stages.map((s) => ({
      stage: s.stage,
      name: s.name,
      variant: s.variant,
      replicas: s.replicas,
      settings: s.settings,
    })),
  };
  const path = join(dir, `${chain.name}.json`); // JSON is YAML
  writeFileSync(path, JSON.stringify(raw, null, 2));
  return path;
}

function say(m: string): void {
  process.stderr.write(`vnflab: ${m}\n`);
}

export async function runMultiProcess(chain: ResolvedChain, opts: MultiProcessOptions): Promise<ServicesSummary> {
  checkBusUrl(opts.busUrl, '--bus');
  if (new URL(opts.busUrl).password)
    say(
      '--bus: this password is on the command line, where every user of the machine reads it (ps); VNFLAB_BUS_PASSWORD keeps it in the environment',
    );
  // the children get the URL, password included, in their environment, never on their command line
  const url = withBusPassword(opts.busUrl);
  try {
    await probeRedis(url);
  } catch (e) {
    throw new UsageError(`--bus: ${(e as Error).message}`);
  }
  // hops that could fill Redis past maxmemory are refused before anything starts
  await checkRedisMemory(url, chain.stages.length - 1, hopBoundBytes(chain)).catch((e: Error) => {
    throw e instanceof ConfigError ? new UsageError(e.message) : new UsageError(`--bus: ${e.message}`);
  });
  const backends = chain.stages[chain.stages.length - 1];
  if (opts.capture && backends.replicas > 1)
    throw new UsageError('--capture: the last stage must run as one replica to write one capture');
  const run = `r${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'vnflab-run-'));
  const config = chainFile(chain, dir);
  const log = opts.logFile;
  if (log) writeFileSync(log, '');

  let failure: string | undefined;
  let finishing = false;
  const children: ServiceChild[] = [];
  const restart = (c: ServiceChild, why: string): void => {
    if (c.restarts >= MAX_RESTARTS) {
      failure = `${c.instance} ${why} ${c.restarts} times; giving up:\n${c.tail()}`;
      return;
    }
    c.restarts++;
    say(`${c.instance} ${why}; starting it again (restart ${c.restarts})`);
    c.start().then(
      () => say(`started ${c.instance} pid ${c.pid} port ${c.port}`),
      (e: Error) => say(`restart of ${c.instance} failed: ${e.message}`),
    );
  };
  const hooks = {
    line: log
      ? (c: ServiceChild, line: string) =>
          appendFileSync(
            log,
            line[0] === '{' ? `${line}\n` : `${JSON.stringify({ instance: c.instance, stderr: line })}\n`,
          )
      : undefined,
    exit: (c: ServiceChild, code: number | null, signal: NodeJS.Signals | null) => {
      if (c.stopping || finishing) return;
      const why = signal ? `was killed (${signal})` : `exited with code ${code}`;
      if (c.index === 0) {
        // the generator's sequence numbers and sent count die with it: the run cannot be accounted
        if (code !== 0 || signal) failure = `the generator ${why}; a run cannot continue without it:\n${c.tail()}`;
        else c.left = true; // stopped and drained: its final stats line has its counts
        return;
      }
      const others = children.some((o) => o !== c && o.index === c.index && o.alive);
      if (code === 0 && !signal && others) {
        c.left = true;
        say(`${c.instance} drained and left (exit 0); its replicas carry on`);
        return;
      }
      restart(c, why);
    },
  };
  chain.stages.forEach((s, index) => {
    for (let replica = 0; replica < s.replicas; replica++) {
      const args = [
        '--stage',
        s.name,
        '--replica',
        String(replica),
        '--config',
        config,
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--run',
        run,
      ];
      if (opts.capture && index === chain.stages.length - 1) args.push('--capture', opts.capture);
      // the bus URL may hold a password: through the environment, never argv
      children.push(
        new ServiceChild(opts.bin, instanceName(s.name, replica, s.replicas), index, replica, args, hooks, {
          VNFLAB_BUS: url,
        }),
      );
    }
  });

  const stopAll = async (): Promise<void> => {
    finishing = true;
    await Promise.all(children.map((c) => c.stop(STOP_TIMEOUT_MS)));
    process.off('exit', killAll);
  };
  // a run that fails leaves nothing behind: its processes, its files and its Redis keys
  const abandon = async (): Promise<void> => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    await cleanUp(url, runPrefix(chain.name, run));
  };
  // a second Ctrl-C exits at once: take the children along
  const killAll = (): void => children.forEach((c) => c.kill());
  process.on('exit', killAll);

  // the live table reads the same stand-ins the summary is built from
  const rows: ChainStage[] = children.map((c) => ({
    name: c.instance,
    stage: chain.stages[c.index].stage,
    variant: chain.stages[c.index].variant,
    stats: new StageStats(chain.stages[c.index].stage, chain.stages[c.index].variant, c.instance),
    element: {
      stage: chain.stages[c.index].stage,
      variant: chain.stages[c.index].variant,
      process: () => {},
      e2e: c.index === chain.stages.length - 1 ? new LogHistogram() : undefined,
    },
  }));

  try {
    // consumers first, so the generator's first batch finds every stage reading
    for (const c of children.slice(1)) {
      await c.start();
      say(`started ${c.instance} pid ${c.pid} port ${c.port}`);
    }
    await waitReady(children.slice(1), () => failure);
    await children[0].start();
    say(`started ${children[0].instance} pid ${children[0].pid} port ${children[0].port}`);
  } catch (e) {
    await abandon();
    throw e;
  }

  let stopRequested = false;
  let metricsApp: FastifyInstance | undefined;
  try {
    try {
      if (opts.metricsPort !== undefined)
        metricsApp = await serveRunMetrics(chain, rows, opts.metricsPort, opts.metricsHost);
      await opts.onStart?.(() => {
        if (stopRequested) return;
        stopRequested = true;
        if (children[0].alive) children[0].proc!.kill('SIGTERM'); // the generator stops; the chain drains
      }, rows);
    } catch (e) {
      await abandon();
      throw e;
    }
    return await watchRun(chain, children, rows, { url, run, dir, opts, failure: () => failure, stopAll, abandon });
  } finally {
    await metricsApp?.close();
  }
}

/** Refreshes the rows from the children's /stats every second until every instance has finished; then the summary. */
async function watchRun(
  chain: ResolvedChain,
  children: ServiceChild[],
  rows: ChainStage[],
  w: {
    url: string;
    run: string;
    dir: string;
    opts: MultiProcessOptions;
    failure: () => string | undefined;
    stopAll: () => Promise<void>;
    abandon: () => Promise<void>;
  },
): Promise<ServicesSummary> {
  const { url, run, dir, opts, stopAll } = w;
  const refresh = (c: ServiceChild, j: ServiceStatsJson): void => {
    const row = rows[children.indexOf(c)];
    row.stats = statsFromJson(j.stats);
    row.variant = j.service.variant;
    const e2e = (row.element as { e2e?: LogHistogram }).e2e;
    if (e2e && j.e2e) histogramFromJson(j.e2e, e2e);
  };
  const started = performance.now();
  let last: ServiceStatsJson[] = [];
  for (;;) {
    await delay(1000);
    if (w.failure()) break;
    const live = children.filter((c) => !c.left);
    const snaps = await Promise.all(live.map((c) => c.fetchStats()));
    live.forEach((c, i) => {
      const j = snaps[i];
      if (j) refresh(c, j);
    });
    opts.onTick?.((performance.now() - started) / 1e3);
    // done: every instance answered, and every one has finished (input ended / generator done)
    if (snaps.every((j) => j && j.service.state === 'finished')) {
      last = snaps as ServiceStatsJson[];
      break;
    }
  }
  const failure = w.failure();
  if (failure) {
    await w.abandon();
    throw new Error(failure);
  }
  await stopAll();
  rmSync(dir, { recursive: true, force: true });

  const results = children.map((c) => ({
    snap: c.last ?? last.find((j) => j.service.instance === c.instance)!,
    restarts: c.restarts,
    left: c.left,
  }));
  const gen = results[0].snap.service;
  const end = Math.max(...results.map((r) => r.snap.service.finished_mono_ns));
  const summary = summarizeServices(chain, results, (end - gen.started_mono_ns) / 1e9, { url: redactUrl(url), run });
  await cleanUp(url, runPrefix(chain.name, run));
  return summary;
}

/** One Prometheus view of the run: each stage's replicas summed (their own /metrics stay per instance). */
function perStage(chain: ResolvedChain, rows: ChainStage[]): { stats: StageStats[]; e2e: LogHistogram } {
  const e2e = new LogHistogram();
  const stats = chain.stages.map((s) => {
    const m = new StageStats(s.stage, s.variant, s.name);
    for (const r of rows) {
      if (r.stats.instance !== s.name && !r.stats.instance.startsWith(`${s.name}-`)) continue;
      if (r.stage !== s.stage) continue;
      mergeStats(m, r.stats);
      m.variant = r.variant;
      const h = (r.element as { e2e?: LogHistogram }).e2e;
      if (h) e2e.merge(h);
    }
    return m;
  });
  return { stats, e2e };
}

function serveRunMetrics(
  chain: ResolvedChain,
  rows: ChainStage[],
  port: number,
  host?: string,
): Promise<FastifyInstance> {
  return startMetricsServer(
    createMetricsRegistry({
      stages: () => perStage(chain, rows).stats,
      e2e: () => [
        {
          chain: chain.name,
          variant:
            chain.stages
              .slice(1, -1)
              .map((st) => st.variant)
              .join('+') || 'direct',
          hist: perStage(chain, rows).e2e,
        },
      ],
    }),
    port,
    undefined,
    host,
  );
}

/** Waits until every child reports ready (connected to Redis and consuming). */
async function waitReady(children: ServiceChild[], failed: () => string | undefined): Promise<void> {
  const until = performance.now() + 30000;
  for (;;) {
    const f = failed();
    if (f) throw new Error(f);
    const snaps = await Promise.all(children.map((c) => c.fetchStats()));
    if (snaps.every((s) => s?.service.ready)) return;
    if (performance.now() > until) {
      const c = children[snaps.findIndex((s) => !s?.service.ready)];
      throw new Error(`${c.instance} did not become ready in 30 s:\n${c.tail()}`);
    }
    await delay(100);
  }
}

/** Removes the run's streams, ledgers and flags from Redis (VNFLAB_KEEP_KEYS=1 keeps them). */
async function cleanUp(url: string, prefix: string): Promise<void> {
  if (process.env.VNFLAB_KEEP_KEYS === '1') return;
  const bus = new RedisBus({ url, prefix });
  try {
    await Promise.race([bus.whenReady().then(() => bus.deleteRunKeys()), delay(3000)]);
  } catch {
    /* best effort: the keys are namespaced by run */
  } finally {
    await bus.close();
  }
}
