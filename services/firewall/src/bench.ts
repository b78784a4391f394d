// The firewall benchmark, one run, numbers only (no printing): the element alone on pre-built
// 64-byte batches with 10 and 1,000 rules, the traffic matching only the last rule (the linear
// scan's worst case), stateless and stateful (established flows skip the ACL), next to the floor
// loop over the same batches (parse verifying checksums, 5-tuple hash, destination rewrite: the
// least work any stage does, as bench/floor.js and the lb benchmark measure it).

import * as core from '@vnflab/core';
import type { Batch, ElementContext } from '@vnflab/core';
import { Firewall } from './firewall';
import type { RuleSpec } from './rules';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const {
  Costs,
  ParsedFrame,
  StageStats,
  buildFrame,
  floorPass,
  ipFromString,
  loadProfile,
  opsPerSecond: rate,
  silentLogger,
} = core;

export interface FirewallBenchOptions {
  /** Time spent on each rate measurement (default 300 ms). */
  durationMs?: number;
  /** Rule counts to measure (default 10 and 1000). */
  ruleCounts?: number[];
}

export interface FirewallBenchRow {
  rules: number;
  /** Stateless: every packet scans all the rules (the last one allows). */
  acl_packets_per_s: number;
  /** Stateful, flows established: a connection-table hit per packet, no scan. */
  stateful_packets_per_s: number;
}

export interface FirewallBenchResult {
  rows: FirewallBenchRow[];
  floor_packets_per_s: number;
}

const BATCH = 64;
const FRAME = 60; // 64 B on the wire without the FCS
const FLOWS = 4096;

function prebuiltBatches(count: number): Batch[] {
  const vip = ipFromString('10.0.0.100');
  const out: Batch[] = [];
  let f = 0;
  for (let k = 0; k < count; k++) {
    const b = core.Batch.allocate(BATCH, FRAME);
    for (let i = 0; i < BATCH; i++, f = (f + 1) % FLOWS) {
      const frame = buildFrame({
        srcIp: ipFromString('10.1.0.1'),
        dstIp: vip,
        proto: 'udp',
        srcPort: 49152 + f,
        dstPort: 80,
        frameLen: FRAME,
      });
      frame.copy(b.buf, b.offset(b.append(FRAME)));
    }
    out.push(b);
  }
  return out;
}

/** `n` rules of which only the last matches the benchmark's traffic; the others differ in destination. */
export function benchRules(n: number): RuleSpec[] {
  const rules: RuleSpec[] = [];
  for (let i = 0; i < n - 1; i++)
    rules.push({ action: 'deny', proto: 'udp', dst: `172.${16 + ((i >> 8) & 15)}.${i & 255}.0/24`, dport: '1-1023' });
  rules.push({ action: 'allow', proto: 'udp', src: '10.1.0.0/16', dst: '10.0.0.100/32', dport: 80 });
  return rules;
}

export function runFirewallBench(opts: FirewallBenchOptions = {}): FirewallBenchResult {
  const ms = opts.durationMs ?? 300;
  const batches = prebuiltBatches(64);
  let bi = 0;
  // every packet is allowed, so a batch comes out as it went in and is reused as it is
  const next = (): Batch => batches[(bi = (bi + 1) % batches.length)];
  const ctx: ElementContext = {
    stats: new StageStats('firewall', 'acl'),
    costs: new Costs(loadProfile('zero')),
    log: silentLogger,
  };
  const rows: FirewallBenchRow[] = [];
  for (const n of opts.ruleCounts ?? [10, 1000]) {
    const rules = benchRules(n);
    const acl = new Firewall('acl', { rules, default_policy: 'deny' });
    const stateful = new Firewall('stateful', {
      rules,
      default_policy: 'deny',
      conntrack_size: FLOWS * 2,
      idle_timeout_ms: 0,
    });
    const a = rate(ms, BATCH, () => acl.process(next(), ctx));
    const s = rate(ms, BATCH, () => stateful.process(next(), ctx));
    if (acl.deniedByDefault + acl.deniedByRule + stateful.deniedByDefault + stateful.deniedByRule > 0)
      throw new Error('firewall bench: a packet was denied; the measurement is not valid');
    rows.push({ rules: n, acl_packets_per_s: a, stateful_packets_per_s: s });
  }
  const p = new ParsedFrame();
  const newDst = ipFromString('10.0.1.1');
  const oldDst = ipFromString('10.0.0.100');
  let sink = 0;
  let round = 0;
  const floor = rate(ms, BATCH, () => {
    // rounds alternate between two destinations so every frame stays valid
    sink += floorPass(next(), p, round++ & 1 ? oldDst : newDst, 80);
  });
  const drops = ctx.stats.totalDrops() + batches.reduce((x, b) => x + b.dropped(), 0);
  if (drops > 0) throw new Error(`firewall bench: ${drops} packets dropped; the measurement is not valid`);
  if (sink === 0.5) throw new Error('unreachable'); // keeps the floor loop from being optimised away
  return { rows, floor_packets_per_s: floor };
}

/** Rows for bench/RESULTS.md ([measurement, value, note]). */
export function firewallBenchRows(r: FirewallBenchResult): string[][] {
  const mpps = (x: number): string => `${(x / 1e6).toFixed(2)} M/s`;
  const pct = (x: number): string => `${((x / r.floor_packets_per_s) * 100).toFixed(1)} % of the floor`;
  const out: string[][] = [['floor loop (parse + verify, hash, rewrite), 64 B', mpps(r.floor_packets_per_s), '']];
  for (const row of r.rows) {
    out.push([
      `firewall acl, ${row.rules} rules, last rule matches, 64 B`,
      mpps(row.acl_packets_per_s),
      pct(row.acl_packets_per_s),
    ]);
    out.push([
      `firewall stateful, ${row.rules} rules, established flows, 64 B`,
      mpps(row.stateful_packets_per_s),
      pct(row.stateful_packets_per_s),
    ]);
  }
  return out;
}

/** The firewall's suite in `npm run bench` (bench/run.js finds it through package.json). */
export function firewallBenchSuite({ quick }: { quick?: boolean }): { rows: string[][]; data: FirewallBenchResult } {
  const data = runFirewallBench({ durationMs: quick ? 100 : 1000 });
  return { rows: firewallBenchRows(data), data };
}
firewallBenchSuite.title = 'Firewall: the element alone with 10 and 1,000 rules, against the floor loop';
