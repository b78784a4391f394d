// `vnflab swap STAGE VARIANT`: asks the controller for a live blue/green swap and prints what
// it did: which container replaced which, how long readiness and the drain took, the packets.

import { parseArgs } from 'node:util';
import { ControllerClient, ControllerClientError, type SwapReport } from '@vnflab/controller';
import { UsageError } from '@vnflab/runtime';

export const SWAP_USAGE =
  'vnflab swap STAGE VARIANT [--url http://localhost:8088] [--token T (or VNFLAB_CONTROL_TOKEN)] [--container NAME] [--json]';

const s = (ms: number): string => `${(ms / 1e3).toFixed(2)} s`;

export function formatSwap(r: SwapReport): string {
  const l: string[] = [];
  if (r.service) {
    const v = r.service;
    const codes = v.old_exit_codes.map((c) => (c === null ? '?' : c)).join(', ');
    return `swapped ${r.stage} to ${r.variant} in ${s(r.duration_ms)} (stack ${r.project}): service ${v.service} updated start-first from ${v.old_variant ?? 'its default'}, ${v.tasks_after.length} task(s) running after ${s(v.converged_ms)}; old tasks exited ${codes || '-'}${r.accounting.all_drained_gracefully ? '' : ', NOT all graceful'}`;
  }
  if (r.replicas.length === 0)
    l.push(`${r.stage} already runs ${r.variant} (${r.unchanged.join(', ')}): nothing swapped`);
  else l.push(`swapped ${r.stage} to ${r.variant} in ${s(r.duration_ms)} (project ${r.project})`);
  for (const x of r.replicas) {
    l.push(
      `  ${x.old.name} (${x.old.variant || '?'}) -> ${x.new.name}: ready in ${s(x.ready.ms)} (${x.ready.via}), old one drained in ${s(x.drain.ms)} (exit ${x.drain.exit_code}${x.drain.graceful ? '' : ', NOT graceful'})`,
    );
    const a = x.accounting;
    if (a.old_last_seen || a.new_after)
      l.push(
        `    packets in: old container ${a.old_last_seen?.packets_in ?? '?'} when last seen, new container ${a.new_after?.packets_in ?? '?'} just after`,
      );
  }
  if (r.replicas.length && r.unchanged.length) l.push(`  already ${r.variant}: ${r.unchanged.join(', ')}`);
  return l.join('\n');
}

export async function swapCommand(argv: string[]): Promise<number> {
  const { values: f, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      container: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [stage, variant, extra] = positionals;
  if (!stage || !variant || extra !== undefined) throw new UsageError(`usage: ${SWAP_USAGE}`);
  const url = f.url ?? process.env.VNFLAB_CONTROLLER_URL ?? 'http://localhost:8088';
  const token = f.token ?? (process.env.VNFLAB_CONTROL_TOKEN || undefined);
  if (!token) throw new UsageError('swap: a swap needs the control token (--token or VNFLAB_CONTROL_TOKEN)');
  let client: ControllerClient;
  try {
    client = new ControllerClient(url, token);
  } catch (e) {
    throw new UsageError(`--url: ${(e as Error).message}`);
  }
  try {
    const r = await client.swap(stage, variant, f.container);
    process.stdout.write((f.json ? JSON.stringify(r, null, 2) : formatSwap(r)) + '\n');
    return 0;
  } catch (e) {
    if (!(e instanceof ControllerClientError)) throw e;
    // a refusal (4xx) is the caller's to fix; a failed swap or no controller is not
    if (e.status !== undefined && e.status < 500) throw new UsageError(`swap: ${e.message}`);
    process.stderr.write(`vnflab: swap: ${e.message}\n`);
    return 1;
  }
}
