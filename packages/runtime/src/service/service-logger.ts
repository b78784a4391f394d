// Service logs: pino JSON lines on stdout, each carrying the stage, its instance and its current
// variant (a run-time change shows up on the next line).

import pino, { type Logger as PinoLogger } from 'pino';

export function createServiceLogger(opts: {
  level: string;
  stage: string;
  instance: string;
  chain: string;
  run: string;
  variant: () => string;
}): PinoLogger {
  return pino({
    level: opts.level,
    base: { pid: process.pid, stage: opts.stage, instance: opts.instance, chain: opts.chain, run: opts.run },
    mixin: () => ({ variant: opts.variant() }),
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
