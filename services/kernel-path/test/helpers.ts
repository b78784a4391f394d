// Frames, batches and contexts for the kernel-path tests.

import {
  Batch,
  Cat,
  Costs,
  StageStats,
  buildFrame,
  ipFromString,
  loadProfile,
  silentLogger,
  spendNs,
  type ElementContext,
} from '@vnflab/core';
import { KernelPath } from '../src';

export interface FrameOpts {
  proto?: 'udp' | 'tcp';
  dstPort?: number;
  srcPort?: number;
  /** frame length without FCS */
  len?: number;
}

export function frame(o: FrameOpts = {}): Buffer {
  const len = o.len ?? 60;
  const payload = Buffer.alloc(len);
  for (let i = 0; i < len; i++) payload[i] = (i * 7 + (o.srcPort ?? 1)) & 0xff;
  return buildFrame(
    {
      srcIp: ipFromString('10.1.0.1'),
      dstIp: ipFromString('10.0.0.100'),
      proto: o.proto ?? 'udp',
      srcPort: o.srcPort ?? 1024,
      dstPort: o.dstPort ?? 80,
      frameLen: len,
    },
    payload,
  );
}

/** Offsets inside a frame built by frame(): IPv4 checksum and UDP checksum. */
export const IP_CSUM_AT = 14 + 10;
export const UDP_CSUM_AT = 14 + 20 + 6;

export function batchOf(frames: Buffer[]): Batch {
  const b = Batch.allocate(Math.max(1, frames.length));
  frames.forEach((f, k) => {
    const i = b.append(f.length);
    f.copy(b.buf, b.offset(i));
    b.setSeq(i, k);
  });
  return b;
}

export function frames(n: number, o: FrameOpts = {}): Buffer[] {
  return Array.from({ length: n }, (_, k) => frame({ ...o, srcPort: 1024 + k }));
}

export function ctxFor(variant = 'kernel', profile = 'zero'): ElementContext {
  return { stats: new StageStats('kernel-path', variant), costs: new Costs(loadProfile(profile)), log: silentLogger };
}

/** Runs one batch through the element and removes drops as the stage runner does. */
export async function run(el: KernelPath, b: Batch, ctx: ElementContext): Promise<void> {
  ctx.stats.packetsIn += b.count;
  const r = el.process(b, ctx);
  if (r) await r;
  b.compact((reason) => ctx.stats.drop(reason));
  ctx.stats.packetsOut += b.count;
}

export function events(ctx: ElementContext): Record<string, number> {
  return ctx.stats.eventsByName();
}

/** The delivered frames' bytes, in batch order. */
export function payloads(b: Batch): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.count; i++) out.push(Buffer.from(b.buf.subarray(b.offset(i), b.offset(i) + b.length(i))));
  return out;
}

/**
 * Another stage on the same event loop: bills `ns` of app work to `stats` in every loop turn
 * until stopped. With `billed` false the work is billed to nobody, like the runtime's
 * bookkeeping or GC.
 */
export function busyNeighbour(stats: StageStats, ns: number, billed = true): { start(): void; stop(): void } {
  let stopped = false;
  const turn = (): void => {
    if (stopped) return;
    const t = stats.cpu.begin();
    spendNs(ns);
    if (billed) stats.cpu.end(Cat.app, t);
    setImmediate(turn);
  };
  return { start: () => void setImmediate(turn), stop: () => void (stopped = true) };
}
