// The lb element: a Maglev load balancer VNF (DESIGN.md §2.3). Per packet: parse, match a VIP,
// look the flow up in connection tracking, otherwise ask the selection algorithm and track the
// answer, then forward by NAT (rewrite destination, RFC 1624 checksum updates) or IP-in-IP
// (Katran style). The control operations change the pool at run time and report how much of
// the hash space and of the tracked flows moved, next to the ideal.

import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, Element, ElementContext, ParseOptions } from '@vnflab/core';
import { ConnTrack } from './conntrack';
import { diffMappings, idealFraction, idealShares, slotCounts } from './disruption';
import { IPIP_HLEN, encapIpip, ipipSource } from './encap';
import { HashModN } from './hash-mod-n';
import { MaglevTable } from './maglev';
import { BackendPool, type Vip } from './pool';
import { assertPrimeTableSize } from './prime';
import { RoundRobin } from './round-robin';
import { ALGORITHMS, type Algorithm, type Selector } from './selector';
import {
  LbSettingsError, LbSettingsSchema, MAX_BACKENDS_PER_VIP, MAX_WEIGHT, resolveBackend, resolveSettings, schemaErrors,
  type BackendSettings, type ForwardingMode, type Protocol,
} from './settings';

// Hot-path functions are bound once: the core index's CommonJS re-exports are getters, and a
// getter call per packet is measurable next to a parse.
const { Cat, ParsedFrame, flowHash, ipFromString, ipToString, monoNs, parseFrame, reasonCode, rewriteDestination } = core;
const CAT_APP = Cat.app;

export const NOT_FOR_VIP = reasonCode('not_for_vip');
export const NO_BACKEND = reasonCode('no_backend');
export const NO_HEADROOM = reasonCode('no_headroom');

// The LB forwards what it gets; checksums are the endpoints' business (as in Katran), and NAT's
// incremental update keeps a bad checksum bad for the backend to catch.
const NO_VERIFY: ParseOptions = { ipChecksum: false, l4Checksum: false };

export type Operation = 'add' | 'remove' | 'drain' | 'set_weight' | 'down' | 'up' | 'table_size';

/** What one control operation did. Fractions are of the VIP's hash space and tracked flows. */
export interface ChangeReport {
  vip: string;
  operation: Operation;
  backend: string | null;
  algorithm: Algorithm;
  /** Backends eligible for new flows (up, weight > 0) before and after. */
  eligible_before: number;
  eligible_after: number;
  /** null for round-robin, which has no hash-space mapping. */
  table: {
    size: number;
    compared: number;
    entries_moved: number;
    fraction_moved: number;
    /** The least any scheme must move for the new shares (removing 1 of N: 1/N). */
    ideal_fraction: number;
    /** Moved from one surviving backend to another: pure disruption. */
    survivors_fraction_moved: number;
    /** True when the table size changed and sample hashes were compared instead of slots. */
    sampled: boolean;
    build_ms: number;
  } | null;
  flows: {
    tracked: number;
    moved: number;
    fraction_moved: number;
    /** Flows whose backend left the pool (removed or down): these must move. */
    ideal_fraction: number;
    /** Tracked flows the new table would send elsewhere: what conntrack saves them from. */
    remapped_without_conntrack: number | null;
  };
}

export interface BackendView {
  name: string;
  address: string;
  port: number;
  weight: number;
  state: 'up' | 'down' | 'drained';
  /** Fraction of the VIP's table this backend owns (round-robin: of new flows). */
  share: number;
  /** Share by weight among eligible backends. */
  ideal_share: number;
  packets: number;
  tracked_flows: number;
}

export interface VipView {
  name: string;
  address: string;
  port: number;
  protocols: Protocol[];
  algorithm: Algorithm;
  table_size: number | null;
  eligible: number;
  backends: BackendView[];
  last_change: ChangeReport | null;
}

/** A control-operation error with the HTTP status that fits it. */
export class LbError extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
    this.name = 'LbError';
  }
}

export interface LbOptions {
  /** CLOCK_MONOTONIC ns source (tests pass a fake one to age flows). */
  clock?: () => number;
}

export class LoadBalancer implements Element {
  readonly stage = 'lb';
  readonly variant: Algorithm;
  mode: ForwardingMode;
  tableSize: number;
  readonly pool = new BackendPool();
  readonly conntrack: ConnTrack | null;
  changes = 0;
  private readonly p: core.ParsedFrame = new ParsedFrame();
  private readonly clock: () => number;
  private readonly lastChange = new Map<string, ChangeReport>();
  /** Packet counts of removed backends by vip/name: counters never go back, and resume on re-add. */
  private readonly retired = new Map<string, { vip: string; backend: string; packets: number }>();

  constructor(algorithm: string = 'maglev', settings: unknown = {}, opts: LbOptions = {}) {
    if (!(ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new LbSettingsError(`variant: "${algorithm}" is not an lb algorithm (known: ${ALGORITHMS.join(', ')})`);
    }
    this.variant = algorithm as Algorithm;
    const s = resolveSettings(settings);
    this.mode = s.mode;
    this.tableSize = s.tableSize;
    this.clock = opts.clock ?? monoNs;
    this.conntrack = s.conntrackSize > 0 ? new ConnTrack(s.conntrackSize, s.idleTimeoutS) : null;
    for (const v of s.vips) {
      const vip = this.pool.addVip(v.name, v.address, v.port, v.protocols, this.makeSelector());
      for (const b of v.backends) this.pool.add(vip, b);
      this.rebuild(vip);
    }
  }

  private makeSelector(): Selector {
    switch (this.variant) {
      case 'maglev':
        return new MaglevTable(this.tableSize);
      case 'round-robin':
        return new RoundRobin();
      case 'hash-mod-n':
        return new HashModN(this.tableSize);
    }
  }

  private rebuild(v: Vip): void {
    const members = this.pool.eligible(v);
    v.selector.rebuild(members);
    const mapping = v.selector.mapping();
    if (mapping) {
      const counts = slotCounts(mapping);
      v.shares = new Map([...counts].map(([id, c]) => [id, c / mapping.length]));
    } else {
      v.shares = idealShares(members, v.selector.weighted);
    }
  }

  // ---- data path -------------------------------------------------------------------------

  process(batch: Batch, ctx: ElementContext): void {
    const t0 = ctx.stats.cpu.begin();
    const now = this.clock();
    const ct = this.conntrack;
    if (ct !== null) ct.expire(now); // idle flows leave from the LRU tail
    const buf = batch.buf;
    const p = this.p;
    const pool = this.pool;
    const vips = pool.vips;
    const nat = this.mode === 'nat';
    for (let i = 0, n = batch.count; i < n; i++) {
      if (!batch.alive(i)) continue;
      const off = batch.offset(i);
      const len = batch.length(i);
      const r = parseFrame(buf, off, len, p, NO_VERIFY);
      if (r !== 0) {
        batch.drop(i, r);
        continue;
      }
      const v = pool.matchVip(p.dstIp, p.dstPort, p.proto);
      if (v < 0) {
        batch.drop(i, NOT_FOR_VIP);
        continue;
      }
      const h = flowHash(p.srcIp, p.dstIp, p.proto, p.srcPort, p.dstPort);
      const ports = ((p.srcPort << 16) | p.dstPort) >>> 0;
      let b = ct !== null ? ct.lookup(h, p.srcIp, p.dstIp, ports, p.proto, now) : -1;
      if (b < 0) {
        b = vips[v].selector.pick(h);
        if (b < 0) {
          batch.drop(i, NO_BACKEND);
          continue;
        }
        if (ct !== null) ct.insert(h, p.srcIp, p.dstIp, ports, p.proto, b, now);
      }
      if (nat) {
        rewriteDestination(buf, p.l3Off, p.l4Off, pool.addr[b], pool.port[b]);
      } else {
        // the outer header goes into the headroom; never into the previous frame's bytes
        let low = batch.dataStart;
        if (i > 0) {
          const po = batch.offset(i - 1);
          if (po < off && po + batch.length(i - 1) > low) low = po + batch.length(i - 1);
        }
        if (off - IPIP_HLEN < low) {
          batch.drop(i, NO_HEADROOM);
          continue;
        }
        batch.setOffset(i, encapIpip(buf, off, p.l3Off, p.ipTotalLen, ipipSource(p.srcIp, p.srcPort), pool.addr[b]));
        batch.setLength(i, len + IPIP_HLEN);
      }
      batch.setFlowHash(i, h);
      pool.packets[b]++;
    }
    ctx.stats.cpu.end(CAT_APP, t0);
  }

  // ---- control operations ------------------------------------------------------------------

  private vipOrThrow(name: string): Vip {
    const v = this.pool.vip(name);
    if (!v) throw new LbError(404, `VIP "${name}" does not exist (known: ${this.pool.vips.map((x) => x.name).join(', ')})`);
    return v;
  }

  private backendOrThrow(v: Vip, name: string): number {
    const id = this.pool.find(v, name);
    if (id < 0) {
      const known = v.members.map((m) => this.pool.names[m]);
      throw new LbError(404, `backend "${name}" is not in VIP "${v.name}" (known: ${known.length ? known.join(', ') : 'none'})`);
    }
    return id;
  }

  private static checkWeight(weight: unknown): number {
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
      throw new LbError(400, `weight: ${JSON.stringify(weight)} is out of range; give an integer 0..${MAX_WEIGHT} (0 drains the backend)`);
    }
    return weight;
  }

  /**
   * Applies a change to one VIP and measures it. `mutate` changes the pool and returns the id
   * whose tracked flows must move (removed or down), or -1; `finish` runs after the flows are
   * counted (a removal frees the id there).
   */
  private apply(v: Vip, operation: Operation, backend: string | null, mutate: () => number, finish?: () => void, selector?: Selector): ChangeReport {
    const pool = this.pool;
    const before = v.selector.mapping();
    const eligibleBefore = pool.eligible(v);
    const sharesBefore = idealShares(eligibleBefore, v.selector.weighted);
    const gone = mutate();
    if (selector) v.selector = selector;
    this.rebuild(v);
    const sel = v.selector;
    const eligibleAfter = pool.eligible(v);
    const after = sel.mapping();
    let table: ChangeReport['table'] = null;
    if (before && after) {
      const d = diffMappings(before, after, new Set(eligibleAfter.map((m) => m.id)));
      table = {
        size: after.length,
        compared: d.compared,
        entries_moved: d.moved,
        fraction_moved: d.moved / d.compared,
        ideal_fraction: idealFraction(sharesBefore, idealShares(eligibleAfter, sel.weighted)),
        survivors_fraction_moved: d.survivorsMoved / d.compared,
        sampled: d.sampled,
        build_ms: sel.lastBuildNs / 1e6,
      };
    }
    let tracked = 0;
    let moved = 0;
    let remapped = 0;
    const peeks = after !== null;
    this.conntrack?.sweep((hash, b) => {
      if (pool.vipOf[b] !== v.index) return false;
      tracked++;
      if (peeks && sel.peek(hash) !== b) remapped++;
      if (b === gone) {
        moved++;
        return true; // its next packet picks a new backend
      }
      return false;
    });
    finish?.();
    const frac = (x: number): number => (tracked > 0 ? x / tracked : 0);
    const report: ChangeReport = {
      vip: v.name,
      operation,
      backend,
      algorithm: sel.algorithm,
      eligible_before: eligibleBefore.length,
      eligible_after: eligibleAfter.length,
      table,
      flows: {
        tracked,
        moved,
        fraction_moved: frac(moved),
        ideal_fraction: frac(moved),
        remapped_without_conntrack: peeks ? frac(remapped) : null,
      },
    };
    this.lastChange.set(v.name, report);
    this.changes++;
    return report;
  }

  /** Adds a backend; existing tracked flows stay where they are. */
  addBackend(vip: string, spec: BackendSettings): ChangeReport {
    const v = this.vipOrThrow(vip);
    const name = (spec as { name?: unknown } | null)?.name;
    if (typeof name === 'string' && this.pool.find(v, name) >= 0) throw new LbError(409, `backend "${name}" already exists in VIP "${v.name}"`);
    let b;
    try {
      b = resolveBackend(spec, v.port, '');
    } catch (e) {
      throw new LbError(400, (e as Error).message);
    }
    for (const id of v.members) {
      if (this.pool.addr[id] === b.address && this.pool.port[id] === b.port) {
        throw new LbError(409, `${ipToString(b.address)}:${b.port} is already backend "${this.pool.names[id]}" of VIP "${v.name}"`);
      }
    }
    if (v.members.length >= MAX_BACKENDS_PER_VIP) throw new LbError(409, `VIP "${v.name}" already has ${MAX_BACKENDS_PER_VIP} backends, the most it may have`);
    const key = `${v.name}\u0000${b.name}`;
    return this.apply(v, 'add', b.name, () => {
      this.pool.add(v, b, this.retired.get(key)?.packets ?? 0);
      this.retired.delete(key);
      return -1;
    });
  }

  /** Removes a backend; its tracked flows move to others. */
  removeBackend(vip: string, name: string): ChangeReport {
    const v = this.vipOrThrow(vip);
    const id = this.backendOrThrow(v, name);
    return this.apply(
      v,
      'remove',
      name,
      () => {
        this.pool.up[id] = 0; // no longer eligible; the id stays until its flows are counted
        return id;
      },
      () => {
        this.retired.set(`${v.name}\u0000${name}`, { vip: v.name, backend: name, packets: this.pool.packets[id] });
        this.pool.remove(v, id);
      },
    );
  }

  /** Weight 0: no new flows, tracked flows finish where they are (Katran's drain). */
  drainBackend(vip: string, name: string): ChangeReport {
    return this.weightChange(vip, name, 0, 'drain');
  }

  setWeight(vip: string, name: string, weight: number): ChangeReport {
    return this.weightChange(vip, name, weight, 'set_weight');
  }

  private weightChange(vip: string, name: string, weight: number, op: Operation): ChangeReport {
    const v = this.vipOrThrow(vip);
    const id = this.backendOrThrow(v, name);
    const w = LoadBalancer.checkWeight(weight);
    return this.apply(v, op, name, () => {
      this.pool.weight[id] = w;
      return -1;
    });
  }

  /** Health check failed: no new flows and its tracked flows move now. */
  markDown(vip: string, name: string): ChangeReport {
    const v = this.vipOrThrow(vip);
    const id = this.backendOrThrow(v, name);
    return this.apply(v, 'down', name, () => {
      this.pool.up[id] = 0;
      return id;
    });
  }

  markUp(vip: string, name: string): ChangeReport {
    const v = this.vipOrThrow(vip);
    const id = this.backendOrThrow(v, name);
    return this.apply(v, 'up', name, () => {
      this.pool.up[id] = 1;
      return -1;
    });
  }

  /** A new table size for every VIP; Maglev rebuilds (and reshuffles the whole hash space). */
  setTableSize(size: number): ChangeReport[] {
    try {
      assertPrimeTableSize(size);
    } catch (e) {
      throw new LbError(400, (e as Error).message);
    }
    this.tableSize = size;
    return this.pool.vips.map((v) => {
      if (v.selector instanceof HashModN) v.selector.mappingSize = size;
      return this.apply(v, 'table_size', null, () => -1, undefined, v.selector instanceof MaglevTable ? new MaglevTable(size) : undefined);
    });
  }

  // ---- views -----------------------------------------------------------------------------

  private trackedPerBackend(): Map<number, number> {
    const m = new Map<number, number>();
    this.conntrack?.sweep((_h, b) => {
      m.set(b, (m.get(b) ?? 0) + 1);
      return false;
    });
    return m;
  }

  /** Every VIP with its backends, their state, table share, packets and tracked flows. */
  listBackends(): VipView[] {
    const tracked = this.trackedPerBackend();
    const pool = this.pool;
    return pool.vips.map((v) => {
      const ideal = idealShares(pool.eligible(v), v.selector.weighted);
      return {
        name: v.name,
        address: ipToString(v.address),
        port: v.port,
        protocols: [...v.protocols],
        algorithm: v.selector.algorithm,
        table_size: v.selector.algorithm === 'round-robin' ? null : this.tableSize,
        eligible: ideal.size,
        backends: v.members.map((id) => ({
          name: pool.names[id],
          address: ipToString(pool.addr[id]),
          port: pool.port[id],
          weight: pool.weight[id],
          state: pool.up[id] === 0 ? 'down' : pool.weight[id] === 0 ? 'drained' : 'up',
          share: v.shares.get(id) ?? 0,
          ideal_share: ideal.get(id) ?? 0,
          packets: pool.packets[id],
          tracked_flows: tracked.get(id) ?? 0,
        })),
        last_change: this.lastChange.get(v.name) ?? null,
      };
    });
  }

  /** Backend address -> name now (for the backends stage's per-backend counts). */
  backendNames(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of this.pool.vips) {
      for (const id of v.members) {
        const a = ipToString(this.pool.addr[id]);
        out[a] = out[a] && out[a] !== this.pool.names[id] ? `${out[a]}+${this.pool.names[id]}` : this.pool.names[id];
      }
    }
    return out;
  }

  /** Name of the backend a flow is tracked to, or null (tests and the CLI; not a data-path call). */
  trackedBackend(srcIp: string, srcPort: number, dstIp: string, dstPort: number, proto: number): string | null {
    const ct = this.conntrack;
    if (!ct) return null;
    const s = ipFromString(srcIp);
    const d = ipFromString(dstIp);
    const b = ct.find(flowHash(s, d, proto, srcPort, dstPort), s, d, ((srcPort << 16) | dstPort) >>> 0, proto, this.clock());
    return b < 0 ? null : this.pool.names[b];
  }

  configure(settings: Record<string, unknown>): void {
    const runtime = ['mode', 'idle_timeout', 'table_size'];
    for (const k of Object.keys(settings)) {
      if (!runtime.includes(k)) {
        throw new LbSettingsError(`lb settings: ${k}: cannot change at run time (${k === 'vips' ? 'use the backend operations' : 'restart the stage'}); run-time keys: ${runtime.join(', ')}`);
      }
    }
    const errs = schemaErrors(LbSettingsSchema, settings);
    if (errs.length) throw new LbSettingsError(`lb settings: ${errs.join('; ')}`);
    if (settings.table_size !== undefined) {
      try {
        assertPrimeTableSize(settings.table_size as number);
      } catch (e) {
        throw new LbSettingsError(`lb settings: ${(e as Error).message}`);
      }
    }
    if (settings.mode !== undefined) this.mode = settings.mode as ForwardingMode;
    if (settings.idle_timeout !== undefined && this.conntrack) this.conntrack.idleNs = (settings.idle_timeout as number) * 1e9;
    if (settings.table_size !== undefined && settings.table_size !== this.tableSize) this.setTableSize(settings.table_size as number);
  }

  describe(): Record<string, unknown> {
    const ct = this.conntrack;
    return {
      algorithm: this.variant,
      mode: this.mode,
      table_size: this.tableSize,
      conntrack: ct
        ? { capacity: ct.capacity, entries: ct.size, hits: ct.hits, misses: ct.misses, evictions: ct.evictions, expired: ct.expired, purged: ct.purged, idle_timeout_s: ct.idleNs / 1e9 }
        : null,
      changes: this.changes,
      vips: this.listBackends(),
    };
  }

  metrics(): CustomMetricSpec[] {
    const base = { stage: this.stage, variant: this.variant };
    const pool = this.pool;
    const perBackend = (f: (id: number, v: Vip) => number): CustomMetricSpec['samples'] =>
      pool.vips.flatMap((v) => v.members.map((id) => ({ labels: { ...base, vip: v.name, backend: pool.names[id] }, value: f(id, v) })));
    const perVip = (f: (v: Vip) => number): CustomMetricSpec['samples'] => pool.vips.map((v) => ({ labels: { ...base, vip: v.name }, value: f(v) }));
    const ct = this.conntrack;
    const ctSample = (x: number): CustomMetricSpec['samples'] => [{ labels: base, value: ct ? x : 0 }];
    const last = (v: Vip): ChangeReport | undefined => this.lastChange.get(v.name);
    return [
      {
        name: 'vnflab_lb_backend_packets_total',
        help: 'Packets the load balancer sent to each backend (labelled by name, never by address)',
        type: 'counter',
        samples: [
          ...perBackend((id) => pool.packets[id]),
          ...[...this.retired.values()].map((r) => ({ labels: { ...base, vip: r.vip, backend: r.backend }, value: r.packets })),
        ],
      },
      { name: 'vnflab_lb_backend_share_ratio', help: 'Fraction of the VIP table a backend owns (round-robin: its share of new flows)', type: 'gauge', samples: perBackend((id, v) => v.shares.get(id) ?? 0) },
      { name: 'vnflab_lb_backend_weight', help: 'Backend weight (0 = drained)', type: 'gauge', samples: perBackend((id) => pool.weight[id]) },
      { name: 'vnflab_lb_backend_up', help: '1 when the backend is up, 0 when marked down', type: 'gauge', samples: perBackend((id) => pool.up[id]) },
      { name: 'vnflab_lb_conntrack_hits_total', help: 'Packets whose flow was tracked', type: 'counter', samples: ctSample(ct?.hits ?? 0) },
      { name: 'vnflab_lb_conntrack_misses_total', help: 'Packets of flows not tracked (new, expired or evicted)', type: 'counter', samples: ctSample(ct?.misses ?? 0) },
      { name: 'vnflab_lb_conntrack_evictions_total', help: 'Tracked flows pushed out by new ones when the table was full (LRU)', type: 'counter', samples: ctSample(ct?.evictions ?? 0) },
      { name: 'vnflab_lb_conntrack_expired_total', help: 'Tracked flows forgotten after the idle timeout', type: 'counter', samples: ctSample(ct?.expired ?? 0) },
      { name: 'vnflab_lb_conntrack_entries', help: 'Flows tracked now', type: 'gauge', samples: ctSample(ct?.size ?? 0) },
      { name: 'vnflab_lb_conntrack_capacity', help: 'Flows the table holds at most (0 = tracking off)', type: 'gauge', samples: ctSample(ct?.capacity ?? 0) },
      { name: 'vnflab_lb_table_rebuilds_total', help: 'Selection table rebuilds (every backend change)', type: 'counter', samples: perVip((v) => v.selector.rebuilds) },
      { name: 'vnflab_lb_table_build_seconds', help: 'Duration of the last table build', type: 'gauge', samples: perVip((v) => v.selector.lastBuildNs / 1e9) },
      { name: 'vnflab_lb_table_build_seconds_total', help: 'Time spent building tables', type: 'counter', samples: perVip((v) => v.selector.totalBuildNs / 1e9) },
      { name: 'vnflab_lb_entries_moved_ratio', help: 'Fraction of the VIP hash space that changed backend on the last change', type: 'gauge', samples: perVip((v) => last(v)?.table?.fraction_moved ?? 0) },
      { name: 'vnflab_lb_entries_moved_ideal_ratio', help: 'The least fraction any scheme had to move on the last change', type: 'gauge', samples: perVip((v) => last(v)?.table?.ideal_fraction ?? 0) },
      { name: 'vnflab_lb_flows_moved_ratio', help: 'Fraction of tracked flows that changed backend on the last change', type: 'gauge', samples: perVip((v) => last(v)?.flows.fraction_moved ?? 0) },
    ];
  }
}
