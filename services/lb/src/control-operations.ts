// The lb control operations: change the backend pool at run time (add, remove, drain, weight,
// down/up, table size), rebuild the VIP's selection table, and report how much of the hash
// space and of the tracked flows moved, next to the ideal. The control API and the element's
// configure() call these; the data path only sees the rebuilt selectors.

import { ipToString } from '@vnflab/core';
import type { ConnTrack } from './conntrack';
import { diffMappings, idealFraction, idealShares, slotCounts } from './disruption';
import { HashModN } from './hash-mod-n';
import { MaglevTable } from './maglev';
import type { BackendPool, Vip } from './pool';
import { assertPrimeTableSize } from './prime';
import { RoundRobin } from './round-robin';
import type { Algorithm, Selector } from './selector';
import { MAX_BACKENDS_PER_VIP, MAX_WEIGHT, resolveBackend, type BackendSettings, type ResolvedVip } from './settings';

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

/** Packets a removed backend was sent; its counter never goes back, and resumes on re-add. */
export interface RetiredBackend {
  vip: string;
  backend: string;
  packets: number;
}

/** A control-operation error with the HTTP status that fits it. */
export class LbError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'LbError';
  }
}

export class LbControl {
  changes = 0;
  private readonly reports = new Map<string, ChangeReport>();
  private readonly retiredByKey = new Map<string, RetiredBackend>();
  /** The last change report per VIP name. */
  readonly lastChange: ReadonlyMap<string, ChangeReport> = this.reports;
  /** Removed backends by vip/name, for their packet counters. */
  readonly retired: ReadonlyMap<string, RetiredBackend> = this.retiredByKey;

  constructor(
    readonly variant: Algorithm,
    readonly pool: BackendPool,
    readonly conntrack: ConnTrack | null,
    public tableSize: number,
  ) {}

  /** Adds a configured VIP with its backends and builds its table (setup, not a change). */
  addVip(v: ResolvedVip): void {
    const vip = this.pool.addVip(v.name, v.address, v.port, v.protocols, this.makeSelector());
    for (const b of v.backends) this.pool.add(vip, b);
    this.rebuild(vip);
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

  private vipOrThrow(name: string): Vip {
    const v = this.pool.vip(name);
    if (!v)
      throw new LbError(404, `VIP "${name}" does not exist (known: ${this.pool.vips.map((x) => x.name).join(', ')})`);
    return v;
  }

  private backendOrThrow(v: Vip, name: string): number {
    const id = this.pool.find(v, name);
    if (id < 0) {
      const known = v.members.map((m) => this.pool.names[m]);
      throw new LbError(
        404,
        `backend "${name}" is not in VIP "${v.name}" (known: ${known.length ? known.join(', ') : 'none'})`,
      );
    }
    return id;
  }

  private static checkWeight(weight: unknown): number {
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
      throw new LbError(
        400,
        `weight: ${JSON.stringify(weight)} is out of range; give an integer 0..${MAX_WEIGHT} (0 drains the backend)`,
      );
    }
    return weight;
  }

  /**
   * Applies a change to one VIP and measures it. `mutate` changes the pool and returns the id
   * whose tracked flows must move (removed or down), or -1; `finish` runs after the flows are
   * counted (a removal frees the id there).
   */
  private apply(
    v: Vip,
    operation: Operation,
    backend: string | null,
    mutate: () => number,
    finish?: () => void,
    selector?: Selector,
  ): ChangeReport {
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
    this.reports.set(v.name, report);
    this.changes++;
    return report;
  }

  /** Adds a backend; existing tracked flows stay where they are. */
  addBackend(vip: string, spec: BackendSettings): ChangeReport {
    const v = this.vipOrThrow(vip);
    const name = (spec as { name?: unknown } | null)?.name;
    if (typeof name === 'string' && this.pool.find(v, name) >= 0)
      throw new LbError(409, `backend "${name}" already exists in VIP "${v.name}"`);
    let b;
    try {
      b = resolveBackend(spec, v.port, '');
    } catch (e) {
      throw new LbError(400, (e as Error).message);
    }
    for (const id of v.members) {
      if (this.pool.addr[id] === b.address && this.pool.port[id] === b.port) {
        throw new LbError(
          409,
          `${ipToString(b.address)}:${b.port} is already backend "${this.pool.names[id]}" of VIP "${v.name}"`,
        );
      }
    }
    if (v.members.length >= MAX_BACKENDS_PER_VIP)
      throw new LbError(409, `VIP "${v.name}" already has ${MAX_BACKENDS_PER_VIP} backends, the most it may have`);
    const key = `${v.name}\u0000${b.name}`;
    return this.apply(v, 'add', b.name, () => {
      this.pool.add(v, b, this.retiredByKey.get(key)?.packets ?? 0);
      this.retiredByKey.delete(key);
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
        this.retiredByKey.set(`${v.name}\u0000${name}`, { vip: v.name, backend: name, packets: this.pool.packets[id] });
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
    const w = LbControl.checkWeight(weight);
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
      return this.apply(
        v,
        'table_size',
        null,
        () => -1,
        undefined,
        v.selector instanceof MaglevTable ? new MaglevTable(size) : undefined,
      );
    });
  }
}
