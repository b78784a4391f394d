// `vnflab traffic`: reads and steers a running generator through its control API — the embedded
// run's metrics server (`vnflab run --metrics-port N`), a generator service, or the controller,
// which forwards to the compose project's traffic-gen container. The token comes from
// VNFLAB_CONTROL_TOKEN only: a secret on the command line would show in `ps`.

import { parseArgs } from 'node:util';
import { UsageError, num } from '@vnflab/runtime';
import { TOKEN_OPTIONS, clientToken } from './client-token';

export const TRAFFIC_USAGE = `vnflab traffic [--rate PPS] [--size BYTES|imix] [--flows N] [--flush-ms MS] [--stop|--start|--end]
           [--url http://localhost:9464 (a run's metrics port, a generator service, or the controller)]
           [--token-file FILE (or VNFLAB_CONTROL_TOKEN)] [--json]`;

/** What GET and PUT /traffic answer (services/traffic-gen/src/generator.ts, TrafficState). */
interface TrafficView {
  variant: string;
  rate: number;
  size: number | 'imix';
  flows: number;
  flush_ms: number;
  running: boolean;
  done: boolean;
  offered: number;
  sent: number;
  not_sent: number;
}

export function formatTraffic(t: TrafficView): string {
  const state = t.done ? 'ended' : t.running ? 'running' : 'stopped';
  const rate = t.rate > 0 ? `${t.rate} pps (batches flushed after ${t.flush_ms} ms)` : 'as fast as the chain takes';
  const size = t.size === 'imix' ? 'IMIX' : `${t.size} B`;
  return `traffic-gen ${t.variant}: ${state}, rate ${rate}, size ${size}, ${t.flows} flows; offered ${t.offered}, sent ${t.sent}, not sent ${t.not_sent}`;
}

export async function trafficCommand(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  const { values: f, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      rate: { type: 'string' },
      size: { type: 'string' },
      flows: { type: 'string' },
      'flush-ms': { type: 'string' },
      stop: { type: 'boolean' },
      start: { type: 'boolean' },
      end: { type: 'boolean' },
      url: { type: 'string' },
      ...TOKEN_OPTIONS,
      json: { type: 'boolean' },
    },
  });
  if (positionals.length) throw new UsageError(`vnflab traffic: unexpected "${positionals[0]}" (${TRAFFIC_USAGE})`);
  if ([f.stop, f.start, f.end].filter(Boolean).length > 1)
    throw new UsageError('vnflab traffic: give one of --stop, --start and --end');
  const body: Record<string, unknown> = {};
  const rate = num('rate', f.rate, { min: 0 });
  if (rate !== undefined) body.rate = rate;
  if (f.size !== undefined)
    body.size = f.size === 'imix' ? 'imix' : num('size', f.size, { min: 64, max: 1518, integer: true });
  const flows = num('flows', f.flows, { min: 1, max: 1048576, integer: true });
  if (flows !== undefined) body.flows = flows;
  const flush = num('flush-ms', f['flush-ms'], { min: 0, max: 1000 });
  if (flush !== undefined) body.flush_ms = flush;
  if (f.stop) body.running = false;
  if (f.start) body.running = true;
  if (f.end) body.end = true;
  const write = Object.keys(body).length > 0;
  const url = `${(f.url ?? 'http://localhost:9464').replace(/\/$/, '')}/traffic`;
  const headers: Record<string, string> = {};
  if (write) {
    const token = clientToken(f);
    if (!token)
      throw new UsageError(
        'vnflab traffic: a change needs the control token (VNFLAB_CONTROL_TOKEN or --token-file FILE)',
      );
    headers.authorization = `Bearer ${token}`;
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(url, { method: write ? 'PUT' : 'GET', headers, body: write ? JSON.stringify(body) : undefined });
  } catch (e) {
    throw new UsageError(
      `cannot reach ${url}: ${(e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message} (is a chain running with --metrics-port, or the controller up?)`,
    );
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new UsageError(`traffic: ${res.status} ${String(json.message ?? json.error ?? res.statusText)}`);
  out(f.json ? JSON.stringify(json, null, 2) + '\n' : formatTraffic(json as unknown as TrafficView) + '\n');
  return 0;
}
