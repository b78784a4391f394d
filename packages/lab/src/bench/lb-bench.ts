// The lb benchmark, one run, numbers only (no printing): Maglev lookups with and without
// connection tracking, the lb element on pre-built 64-byte batches (Maglev + conntrack + NAT)
// next to a floor loop over the same batches (parse, 5-tuple hash, rewrite), and table build
// times at M = 65537 for N = 3..100 (and 1000, the target of < 20 ms).

import { performance } from 'node:perf_hooks';
import * as core from '@vnflab/core';
import type { Batch, ElementContext } from '@vnflab/core';
import * as lbPackage from '@vnflab/lb';
import type { Member } from '@vnflab/lb';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const {
  Costs,
  ParsedFrame,
  StageStats,
  buildFrame,
  floorPass,
  flowHash,
  ipFromString,
  loadProfile,
  opsPerSecond: rate,
  silentLogger,
} = core;
const { ConnTrack, LoadBalancer, MaglevTable, populate } = lbPackage;

export interface LbBenchOptions {
  /** Time spent on each rate measurement (default 300 ms). */
  durationMs?: number;
  /** Backends behind the VIP for the lookup and element measurements (default 10). */
  backends?: number;
  /** Table build sizes (default 3..100 and 1000). */
  buildSizes?: number[];
  tableSize?: number;
}

export interface LbBenchResult {
  table_size: number;
  backends: number;
  /** Table lookup alone: hash mod M and an array read, per precomputed hash. */
  maglev_lookups_per_s: number;
  /** 5-tuple hash + conntrack hit (the steady state of an established flow). */
  conntrack_hit_lookups_per_s: number;
  /** 5-tuple hash + conntrack miss + Maglev pick + insert evicting the LRU flow (new flows only). */
  new_flow_lookups_per_s: number;
  /** lb element, maglev + conntrack + NAT, on 64-byte frames (includes restoring the batch). */
  element_packets_per_s: number;
  /** Floor over the same batches, as bench/floor.js: parse verifying checksums, 5-tuple hash, rewrite (plus the same restore). */
  floor_packets_per_s: number;
  element_to_floor: number;
  /** Restoring a batch alone, so the restore's share can be judged. */
  restore_packets_per_s: number;
  /** Median of 3 builds per N, in ms. */
  build_ms: Record<number, number>;
}

function members(n: number): Member[] {
  return Array.from({ length: n }, (_, i) => ({ id: i, name: `backend-${i + 1}`, weight: 1 }));
}

const BATCH = 64;
const FRAME = 60; // 64 B on the wire without the FCS

function prebuiltBatches(flows: number, count: number): Batch[] {
  const vip = ipFromString('10.0.0.100');
  const out: Batch[] = [];
  let f = 0;
  for (let k = 0; k < count; k++) {
    const b = core.Batch.allocate(BATCH, FRAME); // small slots: restoring a batch is one short copy
    for (let i = 0; i < BATCH; i++, f = (f + 1) % flows) {
      const frame = buildFrame({
        srcIp: (ipFromString('10.1.0.1') + Math.floor(f / 60000)) >>> 0,
        dstIp: vip,
        proto: 'udp',
        srcPort: 1024 + (f % 60000),
        dstPort: 80,
        frameLen: FRAME,
      });
      frame.copy(b.buf, b.offset(b.append(FRAME)));
    }
    out.push(b);
  }
  return out;
}

export function runLbBench(opts: LbBenchOptions = {}): LbBenchResult {
  const ms = opts.durationMs ?? 300;
  const N = opts.backends ?? 10;
  const M = opts.tableSize ?? 65537;
  const sizes = opts.buildSizes ?? [...Array.from({ length: 98 }, (_, i) => i + 3), 1000];

  // --- lookups -------------------------------------------------------------------------------
  const table = new MaglevTable(M);
  table.rebuild(members(N));
  const H = 1 << 16;
  const hashes = new Uint32Array(H);
  const FLOWS = 16384;
  const src = new Uint32Array(H);
  const sport = new Uint16Array(H);
  const dst = ipFromString('10.0.0.100');
  for (let i = 0; i < H; i++) {
    src[i] = (ipFromString('10.1.0.1') + (i >>> 12)) >>> 0;
    sport[i] = 1024 + (i & 0xfff);
    hashes[i] = flowHash(src[i], dst, 17, sport[i], 80);
  }
  let sink = 0;
  const maglev = rate(ms, H, () => {
    for (let i = 0; i < H; i++) sink += table.pick(hashes[i]);
  });

  const ct = new ConnTrack(FLOWS * 2, 0);
  const lookupAll = (n: number, t: lbPackage.ConnTrack): void => {
    for (let i = 0; i < n; i++) {
      const s = src[i];
      const sp = sport[i];
      const h = flowHash(s, dst, 17, sp, 80);
      const ports = ((sp << 16) | 80) >>> 0;
      let b = t.lookup(h, s, dst, ports, 17, 0);
      if (b < 0) {
        b = table.pick(h);
        t.insert(h, s, dst, ports, 17, b, 0);
      }
      sink += b;
    }
  };
  const hit = rate(ms, FLOWS, () => lookupAll(FLOWS, ct));
  const small = new ConnTrack(1024, 0); // 64 Ki flows through 1 Ki entries: every lookup misses
  const miss = rate(ms, H, () => lookupAll(H, small));

  // --- element vs floor on 64-byte batches ---------------------------------------------------
  const backends = Array.from({ length: N }, (_, i) => ({
    name: `web-${i + 1}`,
    address: `10.0.1.${i + 1}`,
    port: 8080,
  }));
  const lb = new LoadBalancer('maglev', {
    table_size: M,
    conntrack_size: 65536,
    idle_timeout: 0,
    vips: [{ name: 'web', address: '10.0.0.100', port: 80, protocols: ['udp'], backends }],
  });
  const ctx: ElementContext = {
    stats: new StageStats('lb', 'maglev'),
    costs: new Costs(loadProfile('zero')),
    log: silentLogger,
  };
  const batches = prebuiltBatches(4096, 64);
  const pristine = batches.map((b) => Buffer.from(b.buf));
  let bi = 0;
  const restore = (): Batch => {
    const b = batches[bi];
    pristine[bi].copy(b.buf);
    bi = (bi + 1) % batches.length;
    return b;
  };
  const restoreRate = rate(ms, BATCH, () => {
    sink += restore().count;
  });
  const element = rate(ms, BATCH, () => lb.process(restore(), ctx));
  const p = new ParsedFrame();
  const newDst = ipFromString('10.0.1.1');
  const floor = rate(ms, BATCH, () => {
    sink += floorPass(restore(), p, newDst, 8080);
  });
  const drops = ctx.stats.totalDrops() + batches.reduce((s, b) => s + b.dropped(), 0);
  if (drops > 0) throw new Error(`lb bench: the element dropped ${drops} packets; the measurement is not valid`);

  // --- table build ---------------------------------------------------------------------------
  const buf = new Int32Array(M);
  populate(buf, M, members(10)); // warm up
  const build: Record<number, number> = {};
  for (const n of sizes) {
    const ms3: number[] = [];
    const m = members(n);
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      populate(buf, M, m);
      ms3.push(performance.now() - t0);
    }
    build[n] = ms3.sort((a, b) => a - b)[1];
  }
  if (sink === 0.5) throw new Error('unreachable'); // keeps the loops from being optimised away

  return {
    table_size: M,
    backends: N,
    maglev_lookups_per_s: maglev,
    conntrack_hit_lookups_per_s: hit,
    new_flow_lookups_per_s: miss,
    element_packets_per_s: element,
    floor_packets_per_s: floor,
    element_to_floor: element / floor,
    restore_packets_per_s: restoreRate,
    build_ms: build,
  };
}

/**
 * Rows for bench/RESULTS.md ([measurement, value, note]); `floorPps` is the foundation floor
 * measured in the same run, when the caller has it (the target is >= 30 % of it).
 */
export function lbBenchRows(r: LbBenchResult, floorPps?: number): string[][] {
  const mpps = (x: number): string => `${(x / 1e6).toFixed(2)} M/s`;
  const rows: string[][] = [
    [`Maglev table lookup (hash mod ${r.table_size})`, mpps(r.maglev_lookups_per_s), ''],
    ['5-tuple hash + conntrack hit', mpps(r.conntrack_hit_lookups_per_s), 'established flows'],
    ['5-tuple hash + conntrack miss + Maglev pick + LRU insert', mpps(r.new_flow_lookups_per_s), 'new flows only'],
    [`lb element (maglev, conntrack, NAT), 64 B, ${r.backends} backends`, mpps(r.element_packets_per_s), ''],
  ];
  const floor = floorPps ?? r.floor_packets_per_s;
  const ratio = r.element_packets_per_s / floor;
  rows.push([
    'lb element / floor',
    `${(ratio * 100).toFixed(1)} %`,
    `${floorPps ? 'foundation floor' : 'floor of this run'} ${mpps(floor)}; target >= 30 % ${ratio >= 0.3 ? 'met' : 'NOT MET'}`,
  ]);
  for (const n of [3, 10, 100, 1000]) {
    const ms = r.build_ms[n];
    if (ms !== undefined)
      rows.push([
        `Maglev table build, M = ${r.table_size}, N = ${n}`,
        `${ms.toFixed(2)} ms`,
        n === 1000 ? `target < 20 ms ${ms < 20 ? 'met' : 'NOT MET'}` : '',
      ]);
  }
  const all = Object.entries(r.build_ms)
    .filter(([n]) => Number(n) >= 3 && Number(n) <= 100)
    .map(([, ms]) => ms);
  if (all.length)
    rows.push([
      `Maglev table build, N = 3..100`,
      `${Math.min(...all).toFixed(2)}..${Math.max(...all).toFixed(2)} ms`,
      'min..max',
    ]);
  return rows;
}
