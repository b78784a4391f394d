// The lb control operations: change the backend pool at run time (add, remove, drain, weight,
// down/up, table size), rebuild the VIP's selection table, and report how much of the hash
// space and of the tracked flows moved, next to the ideal. The control API and the element's
// configure() call these; the data path only sees the rebuilt selectors.
//
// Each operation is written once, as steps (a generator yielding between bounded slices of
// work), and run one of two ways: runNow() to the end at once (setup, tests), or schedule() one
// slice per event-loop turn, so batches keep being processed between slices against the table
// in place and a 16-million-slot rebuild never stalls the data path; the new table is swapped
// in by the build's last slice. Scheduled changes run one after another, in order.

import { ipToString } from '@vnflab/core';
import type { ConnTrack } from './conntrack';
import { diffMappingsSteps, idealFraction, idealShares, slotCountsSteps } from './disruption';
import { HashModN } from './hash-mod-n';
import { MaglevTable } from './maglev';
import type { BackendPool, Vip } from './pool';
import { assertPrimeTableSize } from './prime';
import { RoundRobin } from './round-robin';
import type { Algorithm, Selector, SliceSteps } from './selector';
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

/** A scheduled change: its steps and its caller's promise. */
interface Job {
  steps: SliceSteps<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Runs `steps` to the end in one go. */
export function runToEnd<T>(steps: SliceSteps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

export class LbControl {
  changes = 0;
  /** Slices run by scheduled changes so far. */
  slices = 0;
  private readonly jobs: Job[] = [];
  private pumping = false;
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
    runToEnd(this.rebuild(vip, vip.selector));
  }

  /** Changes scheduled and not finished (the one being built included). */
  get pending(): number {
    return this.jobs.length;
  }

  /** Runs a change to the end now, after finishing (at once) the changes scheduled before it. */
  runNow<T>(steps: SliceSteps<T>): T {
    while (this.jobs.length) this.step(this.jobs[0]);
    return runToEnd(steps);
  }

  /**
   * Runs a change in slices, one per event-loop turn, after those scheduled before it; the first
   * slice runs now when none is waiting, so a small change is done before this returns. Resolves
   * with the change's result once its new table serves, or rejects with its LbError.
   */
  schedule<T>(steps: SliceSteps<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.jobs.push({ steps, resolve: resolve as (v: unknown) => void, reject });
      if (!this.pumping) {
        this.pumping = true;
        this.pump();
      }
    });
  }

  private readonly pump = (): void => {
    const job = this.jobs[0];
    if (job) this.step(job);
    if (this.jobs.length) setImmediate(this.pump);
    else this.pumping = false;
  };

  /** One slice of `job`; settles it and takes it off the queue when it ends. */
  private step(job: Job): void {
    let r: IteratorResult<void, unknown>;
    try {
      r = job.steps.next();
    } catch (e) {
      this.jobs.shift();
      job.reject(e);
      return;
    }
    this.slices++;
    if (r.done) {
      this.jobs.shift();
      job.resolve(r.value);
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

  /** Builds `sel` for the VIP's eligible members (in slices where it can) and puts it in place. */
  private *rebuild(v: Vip, sel: Selector): SliceSteps<void> {
    const members = this.pool.eligible(v);
    if (sel.build) yield* sel.build(members);
    else sel.rebuild(members);
    v.selector = sel;
    const mapping = sel.mapping();
    if (mapping) {
      const counts = yield* slotCountsSteps(mapping);
      v.shares = new Map([...counts].map(([id, c]) => [id, c / mapping.length]));
    } else {
      v.shares = idealShares(members, sel.weighted);
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
  private *apply(
    v: Vip,
    operation: Operation,
    backend: string | null,
    mutate: () => number,
    finish?: () => void,
    newSelector?: () => Selector,
  ): SliceSteps<ChangeReport> {
    const pool = this.pool;
    const before = v.selector.mapping();
    const eligibleBefore = pool.eligible(v);
    const sharesBefore = idealShares(eligibleBefore, v.selector.weighted);
    const gone = mutate();
    // the selector in place keeps serving (the old mapping) until the new one is built
    yield* this.rebuild(v, newSelector ? newSelector() : v.selector);
    const sel = v.selector;
    const eligibleAfter = pool.eligible(v);
    const after = sel.mapping();
    let table: ChangeReport['table'] = null;
    if (before && after) {
      const d = yield* diffMappingsSteps(before, after, new Set(eligibleAfter.map((m) => m.id)));
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
  *addBackend(vip: string, spec: BackendSettings): SliceSteps<ChangeReport> {
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
    return yield* this.apply(v, 'add', b.name, () => {
      this.pool.add(v, b, this.retiredByKey.get(key)?.packets ?? 0);
      this.retiredByKey.delete(key);
      return -1;
    });
  }

  /** Removes a backend; its tracked flows move to others. */
  *removeBackend(vip: string, name: string): SliceSteps<ChangeReport> {
    const v = this.vipOrThrow(vip);
    const id = this.backendOrThrow(v, name);
    return yield* this.apply(
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
  drainBackend(vip: string, name: string): SliceSteps<ChangeReport> {
    return this.weightChange(vip, name, 0, 'drain');
  }

  setWeight(vip: string, name: string, weight: number): SliceSteps<ChangeReport> {
    return this.weightChange(vip, name, weight, 'set_weight');
  }

  private *weightChange(vip: string, name: string, weight: number, op: Operation): SliceSteps<ChangeReport> {
    const v = this.vipOrThrow(vip);
    const id = this.backendOrThrow(v, name);
    const w = LbControl.checkWeight(weight);
    return yield* this.apply(v, op, name, () => {
      this.pool.weight[id] = w;
      return -1;
    });
  }

  /** Health check failed: no new flows and its tracked flows move now. */
  *markDown(vip: string, name: string): SliceSteps<ChangeReport> {
    const v = this.vipOrThrow(vip);
    const id = this.backendOrThrow(v, name);
    return yield* this.apply(v, 'down', name, () => {
      this.pool.up[id] = 0;
      return id;
    });
  }

  *markUp(vip: string, name: string): SliceSteps<ChangeReport> {
    const v = this.vipOrThrow(vip);
    const id = this.backendOrThrow(v, name);
    return yield* this.apply(v, 'up', name, () => {
      this.pool.up[id] = 1;
      return -1;
    });
  }

  /**
   * A new table size for every VIP; Maglev rebuilds (and reshuffles the whole hash space). Each
   * VIP's new table is built beside the one serving and takes its place when complete.
   */
  *setTableSize(size: number): SliceSteps<ChangeReport[]> {
    try {
      assertPrimeTableSize(size);
    } catch (e) {
      throw new LbError(400, (e as Error).message);
    }
    this.tableSize = size;
    const reports: ChangeReport[] = [];
    for (const v of this.pool.vips) {
      if (v.selector instanceof HashModN) v.selector.mappingSize = size;
      const maglev = v.selector instanceof MaglevTable;
      reports.push(
        yield* this.apply(v, 'table_size', null, () => -1, undefined, maglev ? () => new MaglevTable(size) : undefined),
      );
    }
    return reports;
  }
}
