// The `vnflab` command line: dispatches subcommands; a usage mistake is one line and exit 2.
// Each command's module is loaded only when that command runs: a stage process (`vnflab serve`)
// then carries neither the controller's Docker client nor the lab's benchmarks in its heap, which
// every full garbage collection would otherwise mark (bench/RESULTS.md, "Garbage collection in a stage process").

import { ConfigError, PcapError } from '@vnflab/core';
import { UsageError } from '@vnflab/runtime';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run-command')).runCommand,
  gen: async () => (await import('./gen-command')).genCommand,
  serve: async () => (await import('./service/serve-command')).serveCommand,
  breakdown: async () => (await import('./breakdown-command')).breakdownCommand,
  reproduce: async () => (await import('./reproduce-command')).reproduceCommand,
  lb: async () => (await import('./lb-command')).lbCommand,
  traffic: async () => (await import('./traffic-command')).trafficCommand,
  compare: async () => (await import('./compare-command')).compareCommand,
  swap: async () => (await import('./swap-command')).swapCommand,
  controller: async () => (await import('./controller-command')).controllerCommand,
  autoscale: async () => (await import('./autoscale-command')).autoscaleCommand,
  profiles: async () => (await import('./profiles-command')).profilesCommand,
  stages: async () => listStages,
};

/** `vnflab serve` for the controller image: --stage controller, or VNFLAB_STAGE=controller without --stage. */
export function servesController(argv: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const i = argv.findIndex((a) => a === '--stage' || a.startsWith('--stage='));
  if (i < 0) return env.VNFLAB_STAGE === 'controller';
  return (argv[i] === '--stage' ? argv[i + 1] : argv[i].slice('--stage='.length)) === 'controller';
}

async function listStages(): Promise<number> {
  const { createRegistry } = await import('./registry');
  for (const d of createRegistry().all())
    console.log(`${d.stage.padEnd(12)} ${d.role.padEnd(8)} ${d.variants.join(', ').padEnd(36)} ${d.description}`);
  return 0;
}

async function help(): Promise<string> {
  const usage = [
    (await import('./run-command')).runUsage((await import('./registry')).createRegistry()),
    (await import('./gen-command')).GEN_USAGE,
    (await import('@vnflab/runtime')).SERVE_USAGE,
    (await import('./lb-command')).LB_USAGE,
    (await import('./traffic-command')).TRAFFIC_USAGE,
    (await import('./breakdown-command')).BREAKDOWN_USAGE,
    (await import('./reproduce-command')).REPRODUCE_USAGE,
    (await import('./compare-command')).COMPARE_USAGE,
    (await import('./swap-command')).SWAP_USAGE,
    (await import('./controller-command')).CONTROLLER_USAGE,
    (await import('./autoscale-command')).AUTOSCALE_USAGE,
  ];
  return `vnflab: emulated VNF chains with their overheads made visible

${usage.map((u) => `  ${u}`).join('\n')}
  vnflab stages      list stages and their variants
  vnflab profiles    list cost profiles (--sources: where each constant comes from; --measure: this machine's)

npm start runs chains/default.yaml until Ctrl-C. See README.md.`;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    // the controller image starts as `vnflab serve` like every stage, with VNFLAB_STAGE=controller
    const name = cmd === 'serve' && servesController(rest) ? 'controller' : cmd;
    const load = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (load) return await (await load())(rest);
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      console.log(await help());
      return cmd === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${cmd}" (try: vnflab help)`);
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
