// Shared test helpers: a stage context, real frames for given 5-tuples, and a fake clock.

import {
  Batch,
  Costs,
  IP_PROTO,
  StageStats,
  buildFrame,
  ipFromString,
  loadProfile,
  silentLogger,
  type ElementContext,
} from '@vnflab/core';

export function makeCtx(variant = 'acl'): ElementContext {
  return { stats: new StageStats('firewall', variant), costs: new Costs(loadProfile('zero')), log: silentLogger };
}

export interface Pkt {
  src: string;
  dst: string;
  proto?: 'udp' | 'tcp' | 'icmp';
  sport?: number;
  dport?: number;
}

/** Ethernet/IPv4 frame for `p`; ICMP is a UDP-sized frame with protocol 1 (the firewall reads no ICMP fields). */
export function frameOf(p: Pkt, len = 64): Buffer {
  const proto = p.proto ?? 'udp';
  const f = buildFrame({
    srcIp: ipFromString(p.src),
    dstIp: ipFromString(p.dst),
    proto: proto === 'tcp' ? 'tcp' : 'udp',
    srcPort: p.sport ?? 0,
    dstPort: p.dport ?? 0,
    frameLen: len,
  });
  if (proto === 'icmp') f[14 + IP_PROTO] = 1;
  return f;
}

export function batchOf(pkts: (Pkt | Buffer)[], len = 64): Batch {
  const b = Batch.allocate(Math.max(1, pkts.length));
  for (const p of pkts) {
    const frame = Buffer.isBuffer(p) ? p : frameOf(p, len);
    const i = b.append(frame.length);
    frame.copy(b.buf, b.offset(i));
  }
  return b;
}

/** Which packets of a processed batch are still alive. */
export function alive(b: Batch): boolean[] {
  return Array.from({ length: b.count }, (_, i) => b.alive(i));
}

/** Drop reason codes per packet (0 = alive). */
export function reasons(b: Batch): number[] {
  return Array.from({ length: b.count }, (_, i) => (b.alive(i) ? 0 : b.reason(i)));
}

/** A CLOCK_MONOTONIC stand-in the test moves by hand. */
export class FakeClock {
  ns = 1e12;
  readonly now = (): number => this.ns;
  advanceMs(ms: number): void {
    this.ns += ms * 1e6;
  }
}
