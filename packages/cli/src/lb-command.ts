// `vnflab lb ...`: the load balancer's control operations against a running chain's control API
// (`vnflab run --metrics-port N` or the lb service), printing shares and what each change moved.

import { parseArgs } from 'node:util';
import { UsageError, num } from '@vnflab/runtime';
import { TOKEN_OPTIONS, clientToken } from './client-token';

export const LB_USAGE = `vnflab lb list|add|remove|drain|weight|down|up [NAME] [--vip web] [--address A.B.C.D] [--port P]
           [--weight W] [--url http://localhost:9464] [--token-file FILE (or VNFLAB_CONTROL_TOKEN)] [--json]`;

interface Report {
  operation: string;
  backend: string | null;
  table: { fraction_moved: number; ideal_fraction: number; survivors_fraction_moved: number; build_ms: number } | null;
  flows: { tracked: number; moved: number; fraction_moved: number; ideal_fraction: number };
}

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;

function formatReport(r: Report): string {
  const l = [`${r.operation} ${r.backend ?? ''}`.trim()];
  if (r.table)
    l.push(
      `  table entries moved ${pct(r.table.fraction_moved)} (ideal ${pct(r.table.ideal_fraction)}; between surviving backends ${pct(r.table.survivors_fraction_moved)}), rebuilt in ${r.table.build_ms.toFixed(2)} ms`,
    );
  l.push(
    `  tracked flows moved ${r.flows.moved} of ${r.flows.tracked} = ${pct(r.flows.fraction_moved)} (ideal ${pct(r.flows.ideal_fraction)})`,
  );
  return l.join('\n');
}

interface VipView {
  name: string;
  address: string;
  port: number;
  algorithm: string;
  backends: {
    name: string;
    address: string;
    port: number;
    weight: number;
    state: string;
    share: number;
    ideal_share: number;
    packets: number;
    tracked_flows: number;
  }[];
}

function formatVips(vips: VipView[]): string {
  const l: string[] = [];
  for (const v of vips) {
    l.push(`VIP ${v.name} ${v.address}:${v.port} (${v.algorithm})`);
    l.push('  backend      address          weight  state    share    ideal    packets     flows');
    for (const b of v.backends) {
      l.push(
        `  ${b.name.padEnd(12)} ${`${b.address}:${b.port}`.padEnd(16)} ${String(b.weight).padStart(6)}  ${b.state.padEnd(7)} ${pct(b.share).padStart(8)} ${pct(b.ideal_share).padStart(8)} ${String(b.packets).padStart(10)} ${String(b.tracked_flows).padStart(9)}`,
      );
    }
  }
  return l.join('\n');
}

export async function lbCommand(argv: string[]): Promise<number> {
  const { values: f, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      vip: { type: 'string' },
      address: { type: 'string' },
      port: { type: 'string' },
      weight: { type: 'string' },
      url: { type: 'string' },
      ...TOKEN_OPTIONS,
      json: { type: 'boolean' },
    },
  });
  const [op, name] = positionals;
  const base = `${(f.url ?? 'http://localhost:9464').replace(/\/$/, '')}/lb`;
  const vip = encodeURIComponent(f.vip ?? 'web');
  const token = clientToken(f);
  const needName = (): string => {
    if (!name) throw new UsageError(`vnflab lb ${op}: give the backend name`);
    return encodeURIComponent(name);
  };
  let method = 'POST';
  let path: string;
  let body: unknown;
  switch (op) {
    case 'list':
      method = 'GET';
      path = '/vips';
      break;
    case 'add':
      if (!f.address) throw new UsageError('vnflab lb add NAME --address A.B.C.D [--port P] [--weight W]');
      path = `/vips/${vip}/backends`;
      body = {
        name: name ?? '',
        address: f.address,
        port: num('port', f.port, { min: 1, max: 65535, integer: true }),
        weight: num('weight', f.weight, { min: 0, integer: true }),
      };
      break;
    case 'remove':
      method = 'DELETE';
      path = `/vips/${vip}/backends/${needName()}`;
      break;
    case 'weight':
      method = 'PUT';
      path = `/vips/${vip}/backends/${needName()}/weight`;
      body = { weight: num('weight', f.weight, { min: 0, integer: true }) };
      if ((body as { weight?: number }).weight === undefined) throw new UsageError('vnflab lb weight NAME --weight W');
      break;
    case 'drain':
    case 'down':
    case 'up':
      path = `/vips/${vip}/backends/${needName()}/${op}`;
      break;
    default:
      throw new UsageError(`vnflab lb: unknown operation "${op ?? ''}" (list, add, remove, drain, weight, down, up)`);
  }
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    if (!token)
      throw new UsageError('vnflab lb: changes need the control token (VNFLAB_CONTROL_TOKEN or --token-file FILE)');
    headers.authorization = `Bearer ${token}`;
  }
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new UsageError(
      `cannot reach ${base}: ${(e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message} (is a chain running with --metrics-port?)`,
    );
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new UsageError(`lb ${op}: ${res.status} ${String(json.message ?? json.error ?? res.statusText)}`);
  if (f.json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  else if (op === 'list') process.stdout.write(formatVips((json.vips ?? json) as VipView[]) + '\n');
  else process.stdout.write(formatReport((json.report ?? json) as Report) + '\n');
  return 0;
}
