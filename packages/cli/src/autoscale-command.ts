// `vnflab autoscale STAGE --min N --max M --lag L`: a stage's replicas on a Docker Swarm follow
// its consumer group's lag on Redis (services/controller/src/autoscaler.ts says the rule). Runs
// on a manager node (or as a task with the Docker socket) until SIGTERM or Ctrl-C, logging each
// decision as a JSON line.

import { parseArgs } from 'node:util';
import pino from 'pino';
import { isClusterUrl, loadChainFile, redactUrl } from '@vnflab/core';
import { connectDocker, inspectSelf, policyError, startAutoscaleLoop } from '@vnflab/controller';
import { DEFAULT_CHAIN, UsageError, checkBusUrl, num, runPrefix } from '@vnflab/runtime';
import { createRegistry } from './registry';

export const AUTOSCALE_USAGE = `vnflab autoscale STAGE --min N --max M --lag L [--stack NAME] [--bus redis://HOST:PORT] [--config FILE]
           [--run ID] [--interval S] [--docker-socket PATH]   (env: VNFLAB_SWARM_STACK, VNFLAB_BUS, VNFLAB_CONFIG, VNFLAB_RUN)`;

const NAME = /^[a-z0-9][a-z0-9_-]*$/;

export async function autoscaleCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values: f, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      min: { type: 'string' },
      max: { type: 'string' },
      lag: { type: 'string' },
      stack: { type: 'string' },
      bus: { type: 'string' },
      config: { type: 'string' },
      run: { type: 'string' },
      interval: { type: 'string' },
      'docker-socket': { type: 'string' },
    },
  });
  const [stage, extra] = positionals;
  if (!stage || extra !== undefined) throw new UsageError(`usage: ${AUTOSCALE_USAGE}`);
  const need = (flag: 'min' | 'max' | 'lag'): string => {
    if (f[flag] === undefined) throw new UsageError(`autoscale: --${flag} is required (usage: ${AUTOSCALE_USAGE})`);
    return f[flag];
  };
  const policy = {
    min: num('min', need('min'), { min: 1, integer: true })!,
    max: num('max', need('max'), { min: 1, integer: true })!,
    lag: num('lag', need('lag'), { min: 0 })!,
  };
  const bad = policyError(policy);
  if (bad) throw new UsageError(bad);
  const intervalS = num('interval', f.interval, { min: 0.1, max: 3600 }) ?? 2;
  const configPath = f.config ?? (env.VNFLAB_CONFIG || DEFAULT_CHAIN);
  const chain = loadChainFile(configPath, createRegistry());
  const entry = chain.stages.find((s) => s.name === stage);
  if (!entry)
    throw new UsageError(
      `autoscale: "${stage}" is not a stage of ${configPath} (its stages: ${chain.stages.map((s) => s.name).join(', ')})`,
    );
  if (entry === chain.stages[0])
    throw new UsageError(`autoscale: ${stage} is the chain's source; it has no input hop to read a lag from`);
  const run = f.run ?? (env.VNFLAB_RUN || 'main');
  if (!NAME.test(run))
    throw new UsageError(`--run: "${run}" is not a run name (lowercase letters, digits, '_' and '-')`);
  const bus = checkBusUrl(f.bus ?? (env.VNFLAB_BUS || 'redis://127.0.0.1:6379'), '--bus');
  // the lag is read with a plain client: on a cluster, the master that holds the stage's hop answers
  if (isClusterUrl(bus))
    throw new UsageError(
      `--bus: autoscale reads one Redis, not a cluster (${redactUrl(bus)}); give it the master that holds the stage's hop as redis://HOST:PORT (CLUSTER KEYSLOT of {<prefix>:hop:${stage}}, CLUSTER NODES)`,
    );
  let docker;
  try {
    docker = await connectDocker(f['docker-socket']);
  } catch (e) {
    throw new UsageError(`autoscale: ${(e as Error).message}`);
  }
  const stack = f.stack ?? (env.VNFLAB_SWARM_STACK || (await inspectSelf(docker)).stack);
  if (!stack)
    throw new UsageError(
      'autoscale: which stack? set --stack (or VNFLAB_SWARM_STACK), or run it as a task of the stack',
    );
  if (!NAME.test(stack))
    throw new UsageError(`--stack: "${stack}" is not a stack name (lowercase letters, digits, '_' and '-')`);
  const log = pino({ base: { stage: 'autoscale', target: stage }, level: env.VNFLAB_LOG_LEVEL || 'info' });
  log.info({ stack, service: `${stack}_${stage}`, ...policy, interval_s: intervalS }, 'autoscale: started');
  const loop = startAutoscaleLoop({
    docker,
    stack,
    stage,
    redisUrl: bus,
    prefix: runPrefix(chain.name, run),
    policy,
    intervalMs: intervalS * 1e3,
    log,
  });
  const stop = (): void => void loop.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await loop.done;
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  log.info('autoscale: stopped');
  return 0;
}
