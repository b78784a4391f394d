// `vnflab controller`: serves the controller (GET /chain, POST /swap, /healthz, /readyz,
// /metrics) against the Docker engine, for one compose project. The controller image runs it
// as `vnflab serve` with VNFLAB_STAGE=controller. Settings: flags, else VNFLAB_* variables.

import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadChainFile, type ResolvedChain } from '@vnflab/core';
import { StartError, startControllerServer } from '@vnflab/controller';
import { createRegistry } from './registry';
import { DEFAULT_CHAIN, UsageError, checkedControlToken, num } from '@vnflab/runtime';

export const CONTROLLER_USAGE = `vnflab controller [--config FILE] [--project NAME | --swarm STACK] [--port N] [--host ADDR] [--docker-socket PATH]
           [--ready-timeout S] [--drain-timeout S]   (env: VNFLAB_CONFIG, VNFLAB_COMPOSE_PROJECT, VNFLAB_SWARM_STACK, VNFLAB_PORT, VNFLAB_CONTROL_TOKEN)`;

const OPTIONS = {
  config: { type: 'string' },
  project: { type: 'string' },
  swarm: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'docker-socket': { type: 'string' },
  'ready-timeout': { type: 'string' },
  'drain-timeout': { type: 'string' },
  // `vnflab serve` flags a stage container may carry; the controller has no use for them
  stage: { type: 'string' },
  variant: { type: 'string' },
  bus: { type: 'string' },
  replica: { type: 'string' },
  run: { type: 'string' },
  capture: { type: 'string' },
  'log-level': { type: 'string' },
} as const;

export async function controllerCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values: f } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  const pick = (flag: keyof typeof OPTIONS, name: string): string | undefined =>
    (f[flag] as string | undefined) ?? (env[name] || undefined);
  const configPath = pick('config', 'VNFLAB_CONFIG') ?? DEFAULT_CHAIN;
  let chain: ResolvedChain;
  try {
    chain = loadChainFile(configPath, createRegistry());
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const port = num('port', pick('port', 'VNFLAB_PORT'), { min: 0, max: 65535, integer: true }) ?? 8080;
  const readyS = num('ready-timeout', pick('ready-timeout', 'VNFLAB_READY_TIMEOUT_S'), { min: 1, max: 3600 }) ?? 60;
  const drainS =
    num('drain-timeout', pick('drain-timeout', 'VNFLAB_DRAIN_TIMEOUT_S'), { min: 1, max: 3600, integer: true }) ?? 30;
  const project = pick('project', 'VNFLAB_COMPOSE_PROJECT');
  if (project !== undefined && !/^[a-z0-9][a-z0-9_-]*$/.test(project))
    throw new UsageError(
      `--project: "${project}" is not a compose project name (lowercase letters, digits, '_' and '-')`,
    );
  const swarmStack = pick('swarm', 'VNFLAB_SWARM_STACK');
  if (swarmStack !== undefined && !/^[a-z0-9][a-z0-9_-]*$/.test(swarmStack))
    throw new UsageError(`--swarm: "${swarmStack}" is not a stack name (lowercase letters, digits, '_' and '-')`);
  if (swarmStack !== undefined && project !== undefined)
    throw new UsageError('--swarm and --project: a controller drives either a Swarm stack or a compose project');
  let token = checkedControlToken(env);
  const log = pino({ base: { stage: 'controller', variant: 'dockerode' }, level: env.VNFLAB_LOG_LEVEL || 'info' });
  if (!token) {
    // never open: without a chosen token, a random one, shown once
    token = randomBytes(12).toString('hex');
    process.stderr.write(`vnflab: controller token ${token} (set VNFLAB_CONTROL_TOKEN to choose it)\n`);
  }
  let running;
  try {
    running = await startControllerServer({
      chain,
      chainSource: configPath,
      project,
      swarmStack,
      token,
      port,
      host: pick('host', 'VNFLAB_HOST'),
      socketPath: f['docker-socket'],
      readyTimeoutMs: readyS * 1e3,
      drainTimeoutS: drainS,
      log,
    });
  } catch (e) {
    if (e instanceof StartError) throw new UsageError(e.message);
    throw e;
  }
  log.info(
    {
      url: running.url,
      project: running.controller.project,
      chain: chain.name,
      allowlist: running.controller.allowlist.stages(),
    },
    'controller ready',
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  log.info('stopping (a swap in progress finishes first)');
  await running.close();
  return 0;
}
