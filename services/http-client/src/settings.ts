// HTTP client settings: the schema (TypeBox, for chain files, flags and POST /control) and the
// checks the schema cannot make, each error naming its key.

import { Type, type Static } from '@sinclair/typebox';
import { ipFromString, schemaErrors } from '@vnflab/core';

export const VARIANTS = ['ab'] as const;

/** A request path: "/" then visible ASCII (what a request line can carry unescaped). */
const PATH = /^\/[\x21-\x7e]*$/;

export const HttpClientSettingsSchema = Type.Object(
  {
    connections: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65536, description: 'concurrent connections (mTCP Figure 1: 8192)' }),
    ),
    requests_per_connection: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description: '1 = HTTP/1.0 short connections; K > 1 = HTTP/1.1 keep-alive, K requests then close',
      }),
    ),
    rate: Type.Optional(Type.Number({ minimum: 0, description: 'transactions per second; 0 = closed loop' })),
    count: Type.Optional(Type.Integer({ minimum: 0, description: 'transactions; 0 = no limit' })),
    duration: Type.Optional(Type.Number({ minimum: 0, description: 'seconds of new transactions; 0 = no limit' })),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'the path requested' })),
    dst: Type.Optional(Type.String({ description: 'the server, address:port' })),
    src: Type.Optional(Type.String({ description: 'the first client address' })),
    src_count: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 256, description: 'client addresses: src, src + 1, ...' }),
    ),
    src_ports: Type.Optional(
      Type.String({ description: 'client ports LOW-HIGH, per address (Linux ip_local_port_range)' }),
    ),
    connect_timeout_ms: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3_600_000, description: 'SYN sent to handshake done' }),
    ),
    response_timeout_ms: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3_600_000, description: 'request sent to response complete' }),
    ),
    drain_timeout_ms: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 3_600_000,
        description: 'after the last transaction started: how long open connections may take to finish',
      }),
    ),
  },
  { additionalProperties: false },
);

export type HttpClientSettings = Static<typeof HttpClientSettingsSchema>;

export const HTTP_CLIENT_DEFAULTS = {
  connections: 8192,
  requests_per_connection: 1,
  rate: 0,
  count: 0,
  duration: 0,
  path: '/index.html',
  dst: '10.0.0.100:80',
  src: '10.1.0.1',
  src_count: 1,
  // Linux 3.10's ip_local_port_range
  src_ports: '32768-61000',
  // a SYN lost twice (retransmitted at 1 s and 3 s, RFC 6298's initial RTO doubled) still connects
  connect_timeout_ms: 10_000,
  response_timeout_ms: 10_000,
  drain_timeout_ms: 10_000,
} as const satisfies Required<HttpClientSettings>;

export class HttpClientConfigError extends Error {}

/** Everything the client needs, parsed and checked. */
export interface ResolvedClientSettings {
  connections: number;
  requestsPerConnection: number;
  rate: number;
  count: number;
  durationS: number;
  path: string;
  dstIp: number;
  dstPort: number;
  srcIps: number[];
  portLow: number;
  portHigh: number;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  drainTimeoutMs: number;
}

/** "A.B.C.D:PORT" parsed; the error names `key`. */
export function parseDst(key: string, s: string): { ip: number; port: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) throw new HttpClientConfigError(`${key}: "${s}" is not address:port`);
  try {
    return { ip: ipFromString(m[1]), port };
  } catch {
    throw new HttpClientConfigError(`${key}: "${s}" is not address:port`);
  }
}

/** Validates the settings (schema first, then what spans keys) and fills in the defaults. */
export function resolveClientSettings(raw: unknown): ResolvedClientSettings {
  const errs = schemaErrors(HttpClientSettingsSchema, raw ?? {});
  if (errs.length) throw new HttpClientConfigError(`http-client settings: ${errs.join('; ')}`);
  const s = { ...HTTP_CLIENT_DEFAULTS, ...((raw ?? {}) as HttpClientSettings) };
  if (!PATH.test(s.path))
    throw new HttpClientConfigError(`path: ${JSON.stringify(s.path)} must be "/" then visible ASCII characters`);
  const dst = parseDst('dst', s.dst);
  let src: number;
  try {
    src = ipFromString(s.src);
  } catch {
    throw new HttpClientConfigError(`src: "${s.src}" is not an IPv4 address`);
  }
  if (src + s.src_count - 1 > 0xffffffff)
    throw new HttpClientConfigError(`src_count: ${s.src_count} addresses from ${s.src} run past 255.255.255.255`);
  const srcIps = Array.from({ length: s.src_count }, (_, i) => src + i);
  if (srcIps.includes(dst.ip)) throw new HttpClientConfigError(`src: the client addresses include dst ${s.dst}`);
  const pm = /^(\d+)-(\d+)$/.exec(s.src_ports);
  const lo = pm ? Number(pm[1]) : NaN;
  const hi = pm ? Number(pm[2]) : NaN;
  if (!pm || !(lo >= 1 && hi <= 65535 && lo <= hi))
    throw new HttpClientConfigError(`src_ports: "${s.src_ports}" is not LOW-HIGH within 1..65535`);
  // every open connection needs a 4-tuple of its own: an address and a port
  const tuples = (hi - lo + 1) * s.src_count;
  if (s.connections > tuples)
    throw new HttpClientConfigError(
      `connections: ${s.connections} need as many client 4-tuples; src_count ${s.src_count} x src_ports ${s.src_ports} give ${tuples}`,
    );
  return {
    connections: s.connections,
    requestsPerConnection: s.requests_per_connection,
    rate: s.rate,
    count: s.count,
    durationS: s.duration,
    path: s.path,
    dstIp: dst.ip,
    dstPort: dst.port,
    srcIps,
    portLow: lo,
    portHigh: hi,
    connectTimeoutMs: s.connect_timeout_ms,
    responseTimeoutMs: s.response_timeout_ms,
    drainTimeoutMs: s.drain_timeout_ms,
  };
}
