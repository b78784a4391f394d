// Benchmark of the receive path alone (for `npm run bench`): the same batches go through one
// kernel-path element per row - kernel, each mechanism off in turn, NAPI and recvmmsg, bypass -
// with no other stage in the process, so packets/s and CPU ns/packet are the path's own.
// Packets/s is over the wall time of process() calls (event-loop hops included); ns/packet is
// the measured CPU the element billed, the lab's transport into the ring excluded.

import {
  Batch,
  CATEGORIES,
  Costs,
  FCS_LEN,
  StageStats,
  buildFrame,
  ipFromString,
  loadProfile,
  silentLogger,
  type ElementContext,
} from '@vnflab/core';
import { performance } from 'node:perf_hooks';
import { KernelPath } from '@vnflab/kernel-path';
import { defaultRows, type RowSpec } from '../breakdown/breakdown';

export interface BenchOptions {
  /** Wire size incl. FCS, 64..1518; default 64. */
  size?: number;
  /** Packets measured per row (after a warm-up); default 50,000. */
  packets?: number;
  batchSize?: number;
  profile?: string;
  rows?: RowSpec[];
}

export interface BenchRow {
  name: string;
  label: string;
  toggles: Record<string, string>;
  packets: number;
  wall_s: number;
  pps: number;
  ns_per_packet: number;
  ns_per_packet_by_category: Record<string, number>;
  transport_ns_per_packet: number;
  events_per_packet: Record<string, number>;
  drops: number;
}

export interface BenchResult {
  profile: string;
  size: number;
  batch_size: number;
  rows: BenchRow[];
  /** bypass over kernel, when both rows ran. */
  bypass_over_kernel: { pps: number; ns_per_packet: number } | null;
}

/** A batch of UDP frames to port 80, one flow per slot, valid checksums. */
export function templateBatch(size: number, count: number): Batch {
  if (!Number.isInteger(size) || size < 64 || size > 1518)
    throw new Error(`bench: size ${size} must be an integer 64..1518`);
  const b = Batch.allocate(count);
  for (let k = 0; k < count; k++) {
    const f = buildFrame({
      srcIp: ipFromString('10.1.0.1'),
      dstIp: ipFromString('10.0.0.100'),
      proto: 'udp',
      srcPort: 1024 + k,
      dstPort: 80,
      frameLen: size - FCS_LEN,
    });
    const i = b.append(f.length);
    f.copy(b.buf, b.offset(i));
  }
  return b;
}

async function measure(spec: RowSpec, template: Batch, costs: Costs, packets: number): Promise<BenchRow> {
  const el = new KernelPath(spec.variant, spec.settings);
  const work = Batch.allocate(template.capacity);
  const run = async (ctx: ElementContext, n: number): Promise<number> => {
    let wall = 0;
    for (let sent = 0; sent < n; sent += template.count) {
      template.buf.copy(work.buf, 0, 0, template.byteLength); // a fresh arrival (not measured)
      const t0 = performance.now();
      const r = el.process(work, ctx);
      if (r) await r;
      wall += performance.now() - t0;
      ctx.stats.packetsIn += template.count;
      ctx.stats.packetsOut += template.count - work.dropped();
    }
    return wall / 1e3;
  };
  const ctxOf = (): ElementContext => ({
    stats: new StageStats('kernel-path', spec.variant),
    costs,
    log: silentLogger,
  });
  await run(ctxOf(), Math.min(packets, 5000)); // warm-up: JIT, pool, ring
  const ctx = ctxOf();
  const wall = await run(ctx, packets);
  const s = ctx.stats;
  const n = s.packetsIn;
  const busIdx = CATEGORIES.indexOf('bus');
  const byCat: Record<string, number> = {};
  CATEGORIES.forEach((c, i) => {
    if (i !== busIdx && s.cpu.ns[i] > 0) byCat[c] = s.cpu.ns[i] / n;
  });
  const ev: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.eventsByName())) ev[k] = v / n;
  const cpuNs = s.cpu.totalNs() - s.cpu.ns[busIdx];
  return {
    name: spec.name,
    label: spec.label,
    toggles: (el.describe().toggles as Record<string, string>) ?? {},
    packets: n,
    wall_s: wall,
    pps: n / wall,
    ns_per_packet: cpuNs / n,
    ns_per_packet_by_category: byCat,
    transport_ns_per_packet: s.cpu.ns[busIdx] / n,
    events_per_packet: ev,
    drops: n - s.packetsOut,
  };
}

/** Measures every row in one run and returns the numbers. */
export async function benchKernelPath(o: BenchOptions = {}): Promise<BenchResult> {
  const size = o.size ?? 64;
  const batchSize = o.batchSize ?? 64;
  const profile = o.profile ?? 'linux-3.10-xeon';
  const packets = o.packets ?? 50000;
  const costs = new Costs(loadProfile(profile));
  const template = templateBatch(size, batchSize);
  const rows: BenchRow[] = [];
  for (const spec of o.rows ?? defaultRows(true)) rows.push(await measure(spec, template, costs, packets));
  const k = rows.find((r) => r.name === 'kernel');
  const b = rows.find((r) => r.name === 'bypass');
  return {
    profile,
    size,
    batch_size: batchSize,
    rows,
    bypass_over_kernel: k && b ? { pps: b.pps / k.pps, ns_per_packet: k.ns_per_packet / b.ns_per_packet } : null,
  };
}
