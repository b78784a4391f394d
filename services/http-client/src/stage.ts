// The http-client stage manifest: a closed-loop source (ApacheBench in the lab). It provides the
// destination port it connects to, as traffic-gen does, so the server side can listen there.

import type { StageDefinition, StageFlag } from '@vnflab/core';
import { HTTP_METRICS } from './client-stats';
import { NOT_FOR_CLIENT, HttpClient, clientSizing } from './http-client';
import { HttpClientSettingsSchema, VARIANTS, parseDst, resolveClientSettings } from './settings';
import { reasonName } from '@vnflab/core';

/** Heap per TCP connection slot of an endpoint (its TCB and timer entries), measured. */
const TCB_BYTES = 720;

/** The port of `dst` ("A.B.C.D:PORT"), when it has a valid one. */
function destinationPort(settings: Record<string, unknown>): number | undefined {
  if (typeof settings.dst !== 'string') return 80; // the default dst, 10.0.0.100:80
  try {
    return parseDst('dst', settings.dst).port;
  } catch {
    return undefined;
  }
}

/** A positive integer flag. */
function intFlag(name: string, key: string, max: number): StageFlag {
  return {
    name,
    kind: 'setting',
    values: 'N',
    toSettings(value) {
      const n = Number(value);
      if (!/^\d+$/.test(value) || !(n >= 1 && n <= max))
        throw new Error(`--${name}: "${value}" is not an integer in 1..${max}`);
      return { [key]: n };
    },
  };
}

export const httpClientStage: StageDefinition = {
  stage: 'http-client',
  role: 'source',
  variants: VARIANTS,
  settings: HttpClientSettingsSchema,
  description:
    'ApacheBench-like HTTP client over the TCP library: concurrent short (HTTP/1.0) or keep-alive connections, closed loop or at a transaction rate; connect, first-byte and transaction times',
  defaultCategory: 'app',
  flags: [
    intFlag('connections', 'connections', 65536),
    intFlag('requests-per-connection', 'requests_per_connection', 1_000_000),
  ],
  reasons: [reasonName(NOT_FOR_CLIENT)],
  metrics: HTTP_METRICS,
  provides: { destination_port: destinationPort },
  create: (variant, settings) => new HttpClient(variant, settings),
  // the endpoints' TCBs and timers (about 720 B a connection, measured with the heap before and
  // after building a 16384-connection endpoint), their segment pools (1460-byte chunks) and the
  // frame queue
  memoryBytes: (_variant, settings) => {
    let s;
    try {
      s = resolveClientSettings(settings);
    } catch {
      return []; // create() reports the bad setting by name
    }
    const z = clientSizing(s);
    return [
      {
        key: 'connections',
        bytes: s.srcIps.length * z.tcbs * TCB_BYTES,
        what: `${s.srcIps.length} address(es) x ${z.tcbs} TCBs x ${TCB_BYTES} B`,
      },
      {
        key: 'connections',
        bytes: s.srcIps.length * z.poolSegments * 1460 + z.queueBytes + z.queueFrames * 8,
        what: `${s.srcIps.length} address(es) x ${z.poolSegments} segment chunks x 1460 B, and a ${z.queueBytes}-byte frame queue`,
      },
    ];
  },
};
