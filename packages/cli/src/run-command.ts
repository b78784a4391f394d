// `vnflab run`: runs a chain in one process on the in-memory bus (@vnflab/runtime's runChain),
// with a live table, a graceful Ctrl-C, a drained summary, and optional capture, JSON summary and
// /metrics endpoint.

import { parseArgs } from 'node:util';
import {
  ConfigError,
  busSection,
  checkMemoryBudget,
  loadChainFile,
  validateChain,
  type ResolvedChain,
  type StageRegistry,
} from '@vnflab/core';
import { DEFAULT_CHAIN, UsageError, num, runChain, type EmbeddedChain } from '@vnflab/runtime';
import { LiveTable } from './live-table';
import { createRegistry } from './registry';
import { checkJsonPath, finishRun, formatSummary } from './summary-table';
import { runServicesCommand } from './service/services-command';

/** The usage line; the stages' own flags come from their manifests. */
export function runUsage(registry: StageRegistry): string {
  const stageFlags = registry.flags().map(({ flag }) => `[--${flag.name} ${flag.values}]`);
  const lines: string[] = [];
  for (const f of stageFlags) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + f.length < 96) lines[lines.length - 1] = `${last} ${f}`;
    else lines.push(f);
  }
  return `vnflab run [--config FILE] [--duration S | --count N] [--rate PPS [--flush-ms MS]] [--size B|imix]
           [--flows N] [--proto udp|tcp] [--pcap-in FILE] [--pcap-timing original|none] [--pcap-speed X]
           [--profile NAME] [--batch N] [--capture FILE] [--json FILE] [--metrics-port N [--host ADDR]] [--quiet]
           [--variant STAGE=VARIANT ...]
${lines.map((l) => `           ${l}`).join('\n')}
           [--bus redis://HOST:PORT|unix:///PATH [--log-file FILE]]   (every stage its own process on Redis Streams)`;
}

export interface RunFlags {
  config?: string;
  duration?: string;
  count?: string;
  rate?: string;
  'flush-ms'?: string;
  size?: string;
  flows?: string;
  proto?: string;
  'pcap-in'?: string;
  'pcap-timing'?: string;
  'pcap-speed'?: string;
  profile?: string;
  batch?: string;
  capture?: string;
  json?: string;
  'metrics-port'?: string;
  host?: string;
  quiet?: boolean;
  variant?: string[];
  bus?: string;
  'log-file'?: string;
  /** The stages' own flags (manifest `flags`), by name. */
  [stageFlag: string]: string | string[] | boolean | undefined;
}

const RUN_OPTIONS = {
  config: { type: 'string' },
  duration: { type: 'string' },
  count: { type: 'string' },
  rate: { type: 'string' },
  'flush-ms': { type: 'string' },
  size: { type: 'string' },
  flows: { type: 'string' },
  proto: { type: 'string' },
  'pcap-in': { type: 'string' },
  'pcap-timing': { type: 'string' },
  'pcap-speed': { type: 'string' },
  profile: { type: 'string' },
  batch: { type: 'string' },
  capture: { type: 'string' },
  json: { type: 'string' },
  'metrics-port': { type: 'string' },
  host: { type: 'string' },
  quiet: { type: 'boolean' },
  bus: { type: 'string' },
  'log-file': { type: 'string' },
  variant: { type: 'string', multiple: true },
} as const;

/** `vnflab run`'s options: its own and every flag a stage's manifest offers. */
export function runOptions(
  registry: StageRegistry,
): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  const out: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { ...RUN_OPTIONS };
  for (const { stage, flag } of registry.flags()) {
    if (flag.name in out) throw new Error(`${stage.stage}: flag --${flag.name} is one of vnflab run's own`);
    out[flag.name] = { type: 'string' };
  }
  return out;
}

/** `--variant nic=virtio` (repeatable) and the stages' variant flags (`--nic virtio`): stage or stage name -> variant. */
function variantOverrides(f: RunFlags, chain: ResolvedChain, registry: StageRegistry): Map<string, string> {
  const out = new Map<string, string>();
  const short = registry
    .flags()
    .filter(({ flag }) => flag.kind === 'variant' && typeof f[flag.name] === 'string')
    .map(({ stage, flag }) => `${stage.stage}=${f[flag.name] as string}`);
  for (const v of [...short, ...(f.variant ?? [])]) {
    const m = /^([a-z][a-z0-9-]*)=([a-z][a-z0-9-]*)$/.exec(v);
    if (!m) throw new UsageError(`--variant: "${v}" is not STAGE=VARIANT (e.g. nic=virtio)`);
    if (!chain.stages.some((s) => s.name === m[1] || s.stage === m[1]))
      throw new UsageError(
        `--variant: the chain has no stage "${m[1]}" (stages: ${chain.stages.map((s) => s.name).join(', ')})`,
      );
    out.set(m[1], m[2]);
  }
  return out;
}

/** Settings from the stages' setting flags (`--irq napi:64`), per stage, checked with the stage's own messages. */
function stageFlagSettings(
  f: RunFlags,
  chain: ResolvedChain,
  registry: StageRegistry,
): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const { stage, flag } of registry.flags()) {
    const value = f[flag.name];
    if (flag.kind !== 'setting' || typeof value !== 'string' || !flag.toSettings) continue;
    if (!chain.stages.some((s) => s.stage === stage.stage))
      throw new UsageError(`--${flag.name}: the chain has no ${stage.stage} stage`);
    let settings: Record<string, unknown>;
    try {
      settings = flag.toSettings(value);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    out.set(stage.stage, { ...out.get(stage.stage), ...settings });
  }
  return out;
}

/** Applies command-line traffic settings on top of the chain file's traffic-gen settings. */
export function trafficOverrides(f: RunFlags): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (f.duration !== undefined && f.count !== undefined) throw new UsageError('give --duration or --count, not both');
  const d = num('duration', f.duration, { min: 0 });
  if (d !== undefined) o.duration = d;
  const c = num('count', f.count, { min: 0, integer: true });
  if (c !== undefined) o.count = c;
  const r = num('rate', f.rate, { min: 0 });
  if (r !== undefined) o.rate = r;
  const fm = num('flush-ms', f['flush-ms'], { min: 0, max: 1000 });
  if (fm !== undefined) o.flush_ms = fm;
  if (f.size !== undefined)
    o.size = f.size === 'imix' ? 'imix' : num('size', f.size, { min: 64, max: 1518, integer: true });
  const fl = num('flows', f.flows, { min: 1, max: 1048576, integer: true });
  if (fl !== undefined) o.flows = fl;
  if (f.proto !== undefined) {
    if (f.proto !== 'udp' && f.proto !== 'tcp') throw new UsageError(`--proto: "${f.proto}" is not udp or tcp`);
    o.proto = f.proto;
  }
  if (f['pcap-in'] !== undefined) o.pcap_in = f['pcap-in'];
  if (f['pcap-timing'] !== undefined) {
    if (f['pcap-timing'] !== 'original' && f['pcap-timing'] !== 'none')
      throw new UsageError(`--pcap-timing: "${f['pcap-timing']}" is not original or none`);
    o.pcap_timing = f['pcap-timing'];
  }
  const sp = num('pcap-speed', f['pcap-speed'], { min: 1e-6 });
  if (sp !== undefined) o.pcap_speed = sp;
  return o;
}

/** Loads the chain file and applies the command line; errors name the flag or the key. */
export function resolveChain(f: RunFlags, registry: StageRegistry): ResolvedChain {
  const base = loadChainFile(f.config ?? DEFAULT_CHAIN, registry);
  const over = trafficOverrides(f);
  const variants = variantOverrides(f, base, registry);
  const flagged = stageFlagSettings(f, base, registry);
  const raw = {
    name: base.name,
    description: base.description,
    profile: f.profile ?? base.profile,
    batch_size: num('batch', f.batch, { min: 1, max: 1024, integer: true }) ?? base.batchSize,
    bus: busSection(base.bus),
    // a closed loop stays one on the command line (a loop chain's last element is not a sink)
    ...(base.loop ? { loop: true } : {}),
    ...(base.memoryBudget !== undefined ? { memory_budget: base.memoryBudget } : {}),
    stages: base.stages.map((s, i) => ({
      stage: s.stage,
      variant: variants.get(s.name) ?? variants.get(s.stage) ?? s.variant,
      name: s.name,
      replicas: s.replicas,
      // the source takes the traffic flags and, like every stage, its own flags (--connections)
      settings:
        i === 0
          ? { ...withoutConflicts({ ...s.settings }, over), ...flagged.get(s.stage) }
          : { ...s.settings, ...flagged.get(s.stage) },
    })),
  };
  return validateChain(raw, registry, f.config ?? 'chain');
}

function withoutConflicts(settings: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  // a count on the command line replaces a duration in the file, and the other way round
  if ('count' in over) delete settings.duration;
  if ('duration' in over) delete settings.count;
  if ('pcap_in' in over) {
    for (const k of ['proto', 'size', 'flows', 'distribution', 'zipf_s']) delete settings[k];
  }
  return { ...settings, ...over };
}

export async function runCommand(argv: string[]): Promise<number> {
  const registry = createRegistry();
  const { values } = parseArgs({ args: argv, options: runOptions(registry), strict: true, allowPositionals: false });
  const f = values as RunFlags;
  let chain: ResolvedChain;
  try {
    chain = resolveChain(f, registry);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  checkJsonPath(f.json);
  if (f.bus !== undefined) {
    // the stage processes share this machine's memory: refuse what would exhaust it before
    // starting any (the embedded run checks when it builds the chain)
    checkMemoryBudget(chain, registry);
    return runServicesCommand(chain, f);
  }
  if (f['log-file'] !== undefined) throw new UsageError("--log-file: only with --bus (the stage processes' logs)");
  const metricsPort = num('metrics-port', f['metrics-port'], { min: 0, max: 65535, integer: true });
  let stops = 0;
  let ec: EmbeddedChain | undefined;
  // a Ctrl-C before the chain has started is carried out once it has, rather than lost
  let stopRequested = false;
  const onSigint = (): void => {
    if (++stops > 1) {
      process.stderr.write('vnflab: second Ctrl-C, exiting without the summary\n');
      process.exit(130);
    }
    process.stderr.write('\nvnflab: stopping, draining packets in flight (Ctrl-C again to abort)\n');
    stopRequested = true;
    ec?.stop();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let table: LiveTable | undefined;
  try {
    const { summary } = await runChain(chain, registry, {
      capture: f.capture,
      metricsPort,
      metricsHost: f.host,
      onTick: (elapsedS) => table?.tick(elapsedS),
      onStart: (c) => {
        ec = c;
        if (stopRequested) c.stop();
        if (!f.quiet) table = new LiveTable(c.stages);
        const tg = chain.stages[0].settings;
        if (!tg.count && !tg.duration && !tg.pcap_in) process.stderr.write('vnflab: running until Ctrl-C\n');
        if (metricsPort !== undefined)
          process.stderr.write(`vnflab: metrics on http://localhost:${metricsPort}/metrics\n`);
      },
    });
    process.stdout.write(formatSummary(summary) + '\n');
    return finishRun(summary, f.json);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
