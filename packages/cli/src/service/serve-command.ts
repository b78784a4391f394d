// `vnflab serve`: one stage of a chain as its own process on the Redis bus. Flags and
// environment are resolved here; the stage is hosted by @vnflab/runtime's serveStage.

import { parseArgs } from 'node:util';
import { SERVE_OPTIONS, resolveServiceSettings, serveStage, type ServeFlags } from '@vnflab/runtime';
import { createRegistry } from '../registry';

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: SERVE_OPTIONS, strict: true, allowPositionals: false });
  const registry = createRegistry();
  return serveStage(resolveServiceSettings(values as ServeFlags, process.env, registry), registry);
}
