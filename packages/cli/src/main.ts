// The `vnflab` command line: dispatches subcommands; a usage mistake is one line and exit 2.

import { ConfigError, PcapError } from '@vnflab/core';
import { autoscaleCommand, AUTOSCALE_USAGE } from './autoscale-command';
import { breakdownCommand, BREAKDOWN_USAGE } from './breakdown-command';
import { compareCommand, COMPARE_USAGE } from './compare-command';
import { controllerCommand, CONTROLLER_USAGE, servesController } from './controller-command';
import { genCommand, GEN_USAGE } from './gen-command';
import { lbCommand, LB_USAGE } from './lb-command';
import { profilesCommand } from './profiles-command';
import { createRegistry } from './registry';
import { reproduceCommand, REPRODUCE_USAGE } from './reproduce-command';
import { runCommand, runUsage } from './run-command';
import { serveCommand } from './service/serve-command';
import { swapCommand, SWAP_USAGE } from './swap-command';
import { trafficCommand, TRAFFIC_USAGE } from './traffic-command';
import { SERVE_USAGE, UsageError } from '@vnflab/runtime';

const help = (): string => `vnflab: emulated VNF chains with their overheads made visible

  ${runUsage(createRegistry())}
  ${GEN_USAGE}
  ${SERVE_USAGE}
  ${LB_USAGE}
  ${TRAFFIC_USAGE}
  ${BREAKDOWN_USAGE}
  ${REPRODUCE_USAGE}
  ${COMPARE_USAGE}
  ${SWAP_USAGE}
  ${CONTROLLER_USAGE}
  ${AUTOSCALE_USAGE}
  vnflab stages      list stages and their variants
  vnflab profiles    list cost profiles (--sources: where each constant comes from; --measure: this machine's)

npm start runs chains/default.yaml until Ctrl-C. See README.md.`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    // the controller image starts as `vnflab serve` like every stage, with VNFLAB_STAGE=controller
    if (cmd === 'serve' && servesController(rest)) return await controllerCommand(rest);
    switch (cmd) {
      case 'run':
        return await runCommand(rest);
      case 'gen':
        return await genCommand(rest);
      case 'serve':
        return await serveCommand(rest);
      case 'breakdown':
        return await breakdownCommand(rest);
      case 'reproduce':
        return await reproduceCommand(rest);
      case 'lb':
        return await lbCommand(rest);
      case 'traffic':
        return await trafficCommand(rest);
      case 'compare':
        return await compareCommand(rest);
      case 'swap':
        return await swapCommand(rest);
      case 'controller':
        return await controllerCommand(rest);
      case 'autoscale':
        return await autoscaleCommand(rest);
      case 'stages':
        for (const d of createRegistry().all())
          console.log(`${d.stage.padEnd(12)} ${d.role.padEnd(8)} ${d.variants.join(', ').padEnd(36)} ${d.description}`);
        return 0;
      case 'profiles':
        return await profilesCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(help());
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${cmd}" (try: vnflab help)`);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    if (
      e instanceof UsageError ||
      e instanceof ConfigError ||
      e instanceof PcapError ||
      err.code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`vnflab: ${err.message}\n`);
      return 2;
    }
    throw e;
  }
}
