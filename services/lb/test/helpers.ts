// Shared test helpers: a stage context, and batches of real frames for given flows.

import {
  Batch,
  Costs,
  StageStats,
  buildFrame,
  ipFromString,
  loadProfile,
  silentLogger,
  type ElementContext,
} from '@vnflab/core';

export function makeCtx(variant = 'maglev'): ElementContext {
  return { stats: new StageStats('lb', variant), costs: new Costs(loadProfile('zero')), log: silentLogger };
}

export interface FlowSpec {
  src: number; // unsigned
  sport: number;
  dst?: string;
  dport?: number;
  proto?: 'udp' | 'tcp';
  len?: number;
}

/** Flow i: 10.1.x.y : 1024 + i mod 60000 -> the default VIP. */
export function flow(i: number, proto: 'udp' | 'tcp' = 'udp'): FlowSpec {
  return { src: (ipFromString('10.1.0.1') + Math.floor(i / 60000)) >>> 0, sport: 1024 + (i % 60000), proto };
}

const payload = Buffer.from(Array.from({ length: 1500 }, (_, k) => (k * 7 + 3) & 0xff));

export function batchOf(flows: FlowSpec[], len = 64): Batch {
  const b = Batch.allocate(Math.max(1, flows.length));
  for (const f of flows) {
    const frame = buildFrame(
      {
        srcIp: f.src,
        dstIp: ipFromString(f.dst ?? '10.0.0.100'),
        proto: f.proto ?? 'udp',
        srcPort: f.sport,
        dstPort: f.dport ?? 80,
        frameLen: f.len ?? len,
      },
      payload,
    );
    const i = b.append(frame.length);
    frame.copy(b.buf, b.offset(i));
  }
  return b;
}

/** Flows sent in batches of up to 256 through `process`; returns the batches after processing. */
export function run(process: (b: Batch) => void, flows: FlowSpec[], len = 64): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < flows.length; i += 256) {
    const b = batchOf(flows.slice(i, i + 256), len);
    process(b);
    out.push(b);
  }
  return out;
}
