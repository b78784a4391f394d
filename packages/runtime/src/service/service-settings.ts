// What a stage service runs: from `vnflab serve` flags, then VNFLAB_* environment variables,
// then the chain file. Every value is checked here, so a bad one stops the service at start
// with one line naming the flag or variable and what is wrong with it.

import { hostname } from 'node:os';
import {
  ConfigError,
  busSection,
  busUrlProblem,
  withBusPassword,
  loadChainFile,
  validateChain,
  type ResolvedChain,
  type StageRegistry,
} from '@vnflab/core';
import { DEFAULT_CHAIN } from '../paths';
import { UsageError, num } from '../usage-error';
import { checkedControlToken } from '../control-token';

export const SERVE_USAGE = `vnflab serve --stage NAME [--variant V] [--bus redis://HOST:PORT|unix:///PATH] [--config FILE] [--port N]
           [--host ADDR] [--replica I] [--run ID] [--capture FILE] [--log-level LEVEL]`;

export const SERVE_OPTIONS = {
  stage: { type: 'string' },
  variant: { type: 'string' },
  bus: { type: 'string' },
  config: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  replica: { type: 'string' },
  run: { type: 'string' },
  capture: { type: 'string' },
  'log-level': { type: 'string' },
} as const;

export type ServeFlags = Partial<Record<keyof typeof SERVE_OPTIONS, string>>;

/** Environment variable for each flag (a flag wins over its variable). */
export const ENV_FOR_FLAG: Record<keyof typeof SERVE_OPTIONS, string> = {
  stage: 'VNFLAB_STAGE',
  variant: 'VNFLAB_VARIANT',
  bus: 'VNFLAB_BUS',
  config: 'VNFLAB_CONFIG',
  port: 'VNFLAB_PORT',
  host: 'VNFLAB_HOST',
  replica: 'VNFLAB_REPLICA',
  run: 'VNFLAB_RUN',
  capture: 'VNFLAB_CAPTURE',
  'log-level': 'VNFLAB_LOG_LEVEL',
};

export interface ServiceSettings {
  chain: ResolvedChain;
  /** Index of the stage in the chain (0 = the generator). */
  index: number;
  /** The stage's name in the chain; also its input hop and consumer group. */
  name: string;
  replica: number;
  /** Consumer name and ledger key: `name`, or `name-replica` when the stage has replicas. */
  instance: string;
  busUrl: string;
  /** Key prefix of this chain run on Redis. */
  prefix: string;
  run: string;
  port: number;
  host: string;
  controlToken: string | undefined;
  claimIdleMs: number;
  blockMs: number;
  prefetch: number;
  drainTimeoutMs: number;
  capture: string | undefined;
  logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** One value: the flag, else its environment variable; errors name whichever was used. */
function pick(
  flags: ServeFlags,
  env: NodeJS.ProcessEnv,
  k: keyof typeof SERVE_OPTIONS,
): { value: string | undefined; from: string } {
  if (flags[k] !== undefined) return { value: flags[k], from: `--${k}` };
  const v = env[ENV_FOR_FLAG[k]];
  return { value: v === '' ? undefined : v, from: ENV_FOR_FLAG[k] };
}

/** A number from an environment variable only (tuning knobs without flags). */
function envNum(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name}: "${v}" must be a whole number from ${min} to ${max}`);
  return n;
}

function checkedNum(
  p: { value: string | undefined; from: string },
  opts: { min: number; max: number },
): number | undefined {
  try {
    return num('x', p.value, { ...opts, integer: true });
  } catch (e) {
    throw new UsageError(`${p.from}: ${(e as Error).message.replace(/^--x: /, '')}`);
  }
}

export function checkBusUrl(url: string, from: string): string {
  const problem = busUrlProblem(url);
  if (problem) throw new UsageError(`${from}: ${problem}`);
  return url;
}

export function runPrefix(chain: string, run: string): string {
  return `vnflab:${chain}:${run}`;
}

export function instanceName(name: string, replica: number, replicas: number): string {
  return replicas > 1 ? `${name}-${replica}` : name;
}

/**
 * The consumer name and ledger key of this process: VNFLAB_INSTANCE when set, where the value
 * `hostname` means `<stage>-<hostname>` (compose sets it: every `--scale` replica and every
 * container a controller swaps in shares one environment, but not one hostname); else the stage
 * name and replica number.
 */
function resolveInstance(env: NodeJS.ProcessEnv, name: string, replica: number, replicas: number): string {
  const explicit = env.VNFLAB_INSTANCE;
  if (explicit === 'hostname') return `${name}-${hostname()}`;
  if (explicit !== undefined && explicit !== '') {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(explicit))
      throw new UsageError(
        `VNFLAB_INSTANCE: "${explicit}" must be 1..64 letters, digits, '.', '_' or '-', or "hostname"`,
      );
    return explicit;
  }
  return instanceName(name, replica, replicas);
}

/** The generator's traffic from VNFLAB_TRAFFIC_* (compose files set these per service). */
export const TRAFFIC_ENV = {
  VNFLAB_TRAFFIC_RATE: 'rate',
  VNFLAB_TRAFFIC_SIZE: 'size',
  VNFLAB_TRAFFIC_COUNT: 'count',
  VNFLAB_TRAFFIC_DURATION: 'duration',
  VNFLAB_TRAFFIC_FLOWS: 'flows',
  VNFLAB_TRAFFIC_FLUSH_MS: 'flush_ms',
} as const;

function trafficFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(TRAFFIC_ENV)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    if (key === 'size' && v === 'imix') out.size = 'imix';
    else {
      const n = Number(v);
      if (!Number.isFinite(n) || v.trim() === '') throw new UsageError(`${name}: "${v}" is not a number`);
      out[key] = n; // ranges are checked by the generator's settings schema below
    }
  }
  return out;
}

/** Where an error came from: the chain file, and which overrides were applied on top of it. */
function overridesNote(
  configPath: string,
  variantFrom: string | undefined,
  env: NodeJS.ProcessEnv,
  generator: boolean,
): string {
  const traffic = generator ? Object.keys(TRAFFIC_ENV).filter((k) => env[k]) : [];
  const over = [variantFrom, env.VNFLAB_SETTINGS ? 'VNFLAB_SETTINGS' : undefined, ...traffic].filter(Boolean);
  return over.length ? `${configPath} (with ${over.join(' and ')})` : configPath;
}

/**
 * A known stage that the chain file does not use (traffic-gen under chains/web.yaml): a usage
 * error for `vnflab serve`, an idle container under compose (idle-stage.ts), which starts every
 * stage's service whichever chain file is active.
 */
export class StageNotInChainError extends UsageError {
  constructor(
    message: string,
    readonly stage: string,
    readonly chainName: string,
  ) {
    super(message);
  }
}

export function resolveServiceSettings(
  flags: ServeFlags,
  env: NodeJS.ProcessEnv,
  registry: StageRegistry,
): ServiceSettings {
  const stageP = pick(flags, env, 'stage');
  if (!stageP.value) throw new UsageError('--stage is required (or VNFLAB_STAGE): the chain stage this service runs');
  const configP = pick(flags, env, 'config');
  const configPath = configP.value ?? DEFAULT_CHAIN;
  let base: ResolvedChain;
  try {
    base = loadChainFile(configPath, registry);
  } catch (e) {
    throw new UsageError(e instanceof ConfigError ? e.message : String(e));
  }
  const index = base.stages.findIndex((s) => s.name === stageP.value);
  const byType = base.stages.flatMap((s, i) => (s.stage === stageP.value ? [i] : []));
  const at = index >= 0 ? index : byType.length === 1 ? byType[0] : -1;
  if (at < 0) {
    const why =
      byType.length > 1 ? `is used by ${byType.length} stages; give the stage's name` : 'is not a stage of this chain';
    const message = `${stageP.from}: "${stageP.value}" ${why} (${configPath} has: ${base.stages.map((s) => s.name).join(', ')})`;
    const known = registry.all().some((d) => d.stage === stageP.value);
    if (byType.length === 0 && known) throw new StageNotInChainError(message, stageP.value, base.name);
    throw new UsageError(message);
  }

  // variant and settings overrides go through the chain schema, so errors point at the key
  const variantP = pick(flags, env, 'variant');
  let settingsOverride: Record<string, unknown> = {};
  if (env.VNFLAB_SETTINGS) {
    try {
      settingsOverride = JSON.parse(env.VNFLAB_SETTINGS) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`VNFLAB_SETTINGS: not valid JSON: ${(e as Error).message}`);
    }
    if (typeof settingsOverride !== 'object' || settingsOverride === null || Array.isArray(settingsOverride))
      throw new UsageError('VNFLAB_SETTINGS: must be a JSON object of stage settings');
  }
  if (at === 0) settingsOverride = { ...trafficFromEnv(env), ...settingsOverride };
  let chain: ResolvedChain;
  try {
    chain = validateChain(
      {
        name: base.name,
        description: base.description,
        profile: base.profile,
        batch_size: base.batchSize,
        bus: busSection(base.bus),
        // a closed loop and the budget survive the rebuild (the last element of a loop is no sink)
        ...(base.loop ? { loop: true } : {}),
        ...(base.memoryBudget !== undefined ? { memory_budget: base.memoryBudget } : {}),
        stages: base.stages.map((s, i) => ({
          stage: s.stage,
          name: s.name,
          replicas: s.replicas,
          variant: i === at && variantP.value !== undefined ? variantP.value : s.variant,
          settings: i === at ? { ...s.settings, ...settingsOverride } : s.settings,
        })),
      },
      registry,
      overridesNote(configPath, variantP.value !== undefined ? variantP.from : undefined, env, at === 0),
    );
  } catch (e) {
    throw new UsageError(e instanceof ConfigError ? e.message : String(e));
  }
  const entry = chain.stages[at];

  const replicaP = pick(flags, env, 'replica');
  const replica = checkedNum(replicaP, { min: 0, max: entry.replicas - 1 }) ?? 0;
  if (at === 0 && entry.replicas > 1)
    throw new UsageError(`${configPath}: stages[0].replicas: the generator runs as one instance`);

  const busP = pick(flags, env, 'bus');
  const busUrl = withBusPassword(checkBusUrl(busP.value ?? 'redis://127.0.0.1:6379', busP.from), env);
  const runP = pick(flags, env, 'run');
  const run = runP.value ?? 'main';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(run))
    throw new UsageError(`${runP.from}: "${run}" must be 1..64 letters, digits, '.', '_' or '-'`);

  const port = checkedNum(pick(flags, env, 'port'), { min: 0, max: 65535 }) ?? 8080;
  // loopback unless asked: compose sets VNFLAB_HOST=0.0.0.0, reachable on its own network only
  const host = pick(flags, env, 'host').value ?? '127.0.0.1';
  const logP = pick(flags, env, 'log-level');
  const logLevel = logP.value ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new UsageError(`${logP.from}: "${logLevel}" is not a log level (${LOG_LEVELS.join(', ')})`);
  const capture = pick(flags, env, 'capture').value;
  if (capture && at !== chain.stages.length - 1)
    throw new UsageError('--capture: only the last stage (backends) writes a capture');

  const token = checkedControlToken(env);

  return {
    chain,
    index: at,
    name: entry.name,
    replica,
    instance: resolveInstance(env, entry.name, replica, entry.replicas),
    busUrl,
    prefix: runPrefix(chain.name, run),
    run,
    port,
    host,
    controlToken: token,
    claimIdleMs: envNum(env, 'VNFLAB_CLAIM_IDLE_MS', 5000, 100, 3600000),
    blockMs: envNum(env, 'VNFLAB_BLOCK_MS', 100, 1, 10000),
    prefetch: envNum(env, 'VNFLAB_PREFETCH', 4, 1, 1024),
    drainTimeoutMs: envNum(env, 'VNFLAB_DRAIN_TIMEOUT_MS', 10000, 100, 600000),
    capture,
    logLevel,
  };
}
