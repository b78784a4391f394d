// A stage container whose stage the active chain file does not use. Compose starts every stage's
// service whichever chain VNFLAB_CHAIN names (traffic-gen, lb and backends under chains/web.yaml),
// so with VNFLAB_NOT_IN_CHAIN=idle (docker-compose.yml sets it) such a service says so once in its
// log, keeps its heartbeat file fresh so the container stays healthy (services depending on it
// start), reads and sends nothing, and exits 0 on SIGTERM or SIGINT. Without the variable the
// same case is a usage error, as a typo in `vnflab serve --stage` should be.

import { heartbeatFromEnv } from './heartbeat-file';
import { UsageError } from '../usage-error';
import type { StageNotInChainError } from './service-settings';

export const NOT_IN_CHAIN_ENV = 'VNFLAB_NOT_IN_CHAIN';

/** Whether VNFLAB_NOT_IN_CHAIN asks for an idle service; any value but `idle` or `error` is refused. */
export function idleWhenNotInChain(env: NodeJS.ProcessEnv): boolean {
  const v = env[NOT_IN_CHAIN_ENV];
  if (v === undefined || v === '' || v === 'error') return false;
  if (v === 'idle') return true;
  throw new UsageError(`${NOT_IN_CHAIN_ENV}: "${v}" must be idle or error`);
}

/** Idles until a signal: one log line (pino's JSON shape, as the stages' own logs), then nothing. */
export async function idleStage(
  why: StageNotInChainError,
  out: (line: string) => void = (l) => process.stdout.write(l),
): Promise<number> {
  out(
    `${JSON.stringify({
      level: 30,
      time: new Date().toISOString(),
      pid: process.pid,
      stage: why.stage,
      chain: why.chainName,
      msg: `idle: chain "${why.chainName}" has no stage ${why.stage}; this service reads and sends nothing`,
      reason: why.message,
    })}\n`,
  );
  const heartbeat = heartbeatFromEnv(() => true);
  // a timer that keeps the event loop alive: the heartbeat's own timer is unref'd
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  clearInterval(keepAlive);
  heartbeat?.stop();
  out(
    `${JSON.stringify({ level: 30, time: new Date().toISOString(), pid: process.pid, stage: why.stage, signal, msg: 'idle: stopped' })}\n`,
  );
  return 0;
}
