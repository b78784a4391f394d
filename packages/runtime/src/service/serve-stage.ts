// One stage of a chain as its own process on the Redis bus, with its HTTP endpoints (see
// http-api.ts). It keeps serving /stats after its input has ended, until SIGTERM or SIGINT: then
// it drains (reads nothing new, forwards and acknowledges what it holds) and resolves 0, or 1 if
// something was still in hand when the drain timeout ran out. A generator that drains leaves the
// run open for the next one (StageService.stopEndsRun).

import type { AddressInfo } from 'node:net';
import type { StageRegistry } from '@vnflab/core';
import { UsageError } from '../usage-error';
import { startHttpApi } from './http-api';
import { heartbeatFromEnv } from './heartbeat-file';
import { createServiceLogger } from './service-logger';
import type { ServiceSettings } from './service-settings';
import { StageService } from './stage-service';

export async function serveStage(cfg: ServiceSettings, registry: StageRegistry): Promise<number> {
  const entry = cfg.chain.stages[cfg.index];
  let svc: StageService | undefined;
  const log = createServiceLogger({
    level: cfg.logLevel,
    stage: entry.stage,
    instance: cfg.instance,
    chain: cfg.chain.name,
    run: cfg.run,
    variant: () => svc?.stats.variant ?? entry.variant,
  });
  try {
    svc = new StageService(cfg, registry, log);
  } catch (e) {
    // the element refused its settings (e.g. a capture file that cannot be read)
    throw new UsageError(`${entry.name}: ${(e as Error).message}`);
  }
  const service = svc;
  // started by `vnflab run --bus`, whose run this is: a stopped generator ends it (Ctrl-C drains
  // the chain); otherwise a generator stopped by SIGTERM leaves the run to the next one
  service.stopEndsRun = process.env.VNFLAB_EXIT_WITH_PARENT === '1';
  // signals are handled before the port is announced: `vnflab run --bus` may stop the generator
  // as soon as it reads that line, and a SIGTERM before a handler exists kills the process outright
  let stopping = false;
  let resolveCode!: (code: number) => void;
  const exitCode = new Promise<number>((resolve) => (resolveCode = resolve));
  const onSignal = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without draining');
      resolveCode(1);
      return;
    }
    stopping = true;
    log.info({ signal, timeout_ms: cfg.drainTimeoutMs }, 'draining');
    service.drain(cfg.drainTimeoutMs).then(
      (clean) => resolveCode(clean ? 0 : 1),
      () => resolveCode(1),
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const app = await startHttpApi(service, { port: cfg.port, host: cfg.host, token: cfg.controlToken });
  const port = (app.server.address() as AddressInfo).port;
  log.info({ port, host: cfg.host, bus: service.snapshot().bus.url, prefix: cfg.prefix }, 'listening');
  const heartbeat = heartbeatFromEnv(() => service.ready); // the container's healthcheck
  if (process.env.VNFLAB_EXIT_WITH_PARENT === '1') {
    // started by `vnflab run --bus`: its stdin closes when that process goes, however it goes
    process.stdin
      .on('end', () => onSignal('parent exited'))
      .on('error', () => onSignal('parent exited'))
      .resume();
  }
  // a signal while the server was starting has already drained (or begun) what there is
  if (!stopping)
    service.start().catch((e: Error) => {
      service.state = 'failed';
      log.error({ err: e.message, stack: e.stack }, 'stage failed');
      resolveCode(1);
    });
  const code = await exitCode;
  heartbeat?.stop();
  log.info({ final_stats: service.snapshot(), exit_code: code }, 'final stats');
  await app.close(); // closes the service too (its onClose hook)
  return code;
}
