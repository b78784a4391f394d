// `vnflab serve`: one stage of a chain as its own process on the Redis bus. Flags and
// environment are resolved here; the stage is hosted by @vnflab/runtime's serveStage.

import { parseArgs } from 'node:util';
import {
  SERVE_OPTIONS,
  StageNotInChainError,
  idleStage,
  idleWhenNotInChain,
  resolveServiceSettings,
  serveStage,
  type ServeFlags,
  type ServiceSettings,
} from '@vnflab/runtime';
import { createRegistry } from '../registry';

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: SERVE_OPTIONS, strict: true, allowPositionals: false });
  const registry = createRegistry();
  const idle = idleWhenNotInChain(process.env);
  let settings: ServiceSettings;
  try {
    settings = resolveServiceSettings(values as ServeFlags, process.env, registry);
  } catch (e) {
    // compose starts every stage's service; one the active chain file does not use idles
    if (idle && e instanceof StageNotInChainError) return idleStage(e);
    throw e;
  }
  return serveStage(settings, registry);
}
