// The lb element: a Maglev load balancer VNF. It wires three parts over one backend pool and one
// connection-tracking table: the data path (data-path.ts) forwards each batch, the control
// operations (control-operations.ts) change the pool at run time and report what moved, and
// the views (views.ts) show the state to the control API, /stats and Prometheus.

import {
  budgetOf,
  monoNs,
  overBudget,
  type Batch,
  type CustomMetricSpec,
  type Element,
  type ElementContext,
  type MemoryBudget,
} from '@vnflab/core';
import { ConnTrack } from './conntrack';
import { LbControl, LbError, type ChangeReport } from './control-operations';
import { LbDataPath } from './data-path';
import { lbMemory } from './memory';
import { BackendPool } from './pool';
import { assertPrimeTableSize } from './prime';
import { ALGORITHMS, type Algorithm } from './selector';
import {
  LbSettingsError,
  LbSettingsSchema,
  resolveSettings,
  schemaErrors,
  type BackendSettings,
  type ForwardingMode,
} from './settings';
import { currentBackendNames, describeLb, lbMetrics, listBackends, trackedBackendName, type VipView } from './views';

export interface LbOptions {
  /** CLOCK_MONOTONIC ns source (tests pass a fake one to age flows). */
  clock?: () => number;
  /** The chain's memory budget, which a run-time table size must fit (default: budgetOf's). */
  memoryBudget?: MemoryBudget;
}

export class LoadBalancer implements Element {
  readonly stage = 'lb';
  readonly variant: Algorithm;
  readonly pool = new BackendPool();
  readonly conntrack: ConnTrack | null;
  private readonly clock: () => number;
  private readonly dataPath: LbDataPath;
  private readonly control: LbControl;
  private readonly memoryBudget?: MemoryBudget;

  constructor(algorithm: string = 'maglev', settings: unknown = {}, opts: LbOptions = {}) {
    if (!(ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new LbSettingsError(`variant: "${algorithm}" is not an lb algorithm (known: ${ALGORITHMS.join(', ')})`);
    }
    this.variant = algorithm as Algorithm;
    const s = resolveSettings(settings);
    this.clock = opts.clock ?? monoNs;
    this.memoryBudget = opts.memoryBudget;
    this.conntrack = s.conntrackSize > 0 ? new ConnTrack(s.conntrackSize, s.idleTimeoutS) : null;
    this.control = new LbControl(this.variant, this.pool, this.conntrack, s.tableSize);
    for (const v of s.vips) this.control.addVip(v);
    this.dataPath = new LbDataPath(this.pool, this.conntrack, this.clock, s.mode);
  }

  /** Forwarding mode; a change applies from the next batch on. */
  get mode(): ForwardingMode {
    return this.dataPath.mode;
  }

  set mode(m: ForwardingMode) {
    this.dataPath.mode = m;
  }

  /** Maglev (and hash-mod-n measurement) table size. */
  get tableSize(): number {
    return this.control.tableSize;
  }

  /** Control operations applied so far. */
  get changes(): number {
    return this.control.changes;
  }

  process(batch: Batch, ctx: ElementContext): void {
    this.dataPath.process(batch, ctx);
  }

  // ---- control operations (control-operations.ts) -----------------------------------------
  // Done at once (the table rebuilt before the call returns; setup and tests), or `scheduled`:
  // built in slices between batches, the table in place serving until the new one is complete
  // (the control API's way, so a large table never stalls the data path).

  /** The operations below, each built in slices; resolves with the report once the new table serves. */
  readonly scheduled = {
    addBackend: (vip: string, spec: BackendSettings): Promise<ChangeReport> =>
      this.control.schedule(this.control.addBackend(vip, spec)),
    removeBackend: (vip: string, name: string): Promise<ChangeReport> =>
      this.control.schedule(this.control.removeBackend(vip, name)),
    drainBackend: (vip: string, name: string): Promise<ChangeReport> =>
      this.control.schedule(this.control.drainBackend(vip, name)),
    setWeight: (vip: string, name: string, weight: number): Promise<ChangeReport> =>
      this.control.schedule(this.control.setWeight(vip, name, weight)),
    markDown: (vip: string, name: string): Promise<ChangeReport> =>
      this.control.schedule(this.control.markDown(vip, name)),
    markUp: (vip: string, name: string): Promise<ChangeReport> => this.control.schedule(this.control.markUp(vip, name)),
    setTableSize: (size: number): Promise<ChangeReport[]> => {
      this.checkTableMemory(size);
      return this.control.schedule(this.control.setTableSize(size));
    },
  };

  /**
   * Refuses (LbError 409, naming the estimate and the budget) a table size whose tables would not
   * fit the chain's memory budget, as the chain file's table_size is refused at start
   * (memory-budget.ts): what lbMemory counts for this lb's VIPs and flows at that size.
   */
  checkTableMemory(size: number): void {
    const settings = {
      vips: this.pool.vips,
      table_size: size,
      conntrack_size: this.conntrack?.capacity ?? 0,
    };
    const parts = lbMemory(this.variant, settings).map((u) => ({ key: u.key, bytes: u.bytes, what: u.what }));
    const why = overBudget(`lb table_size ${size}`, parts, this.memoryBudget ?? budgetOf(undefined));
    if (why) throw new LbError(409, why);
  }

  /** Scheduled changes not finished yet, and the slices they have run. */
  get rebuild(): { pending: number; slices: number } {
    return { pending: this.control.pending, slices: this.control.slices };
  }

  /** Adds a backend; existing tracked flows stay where they are. */
  addBackend(vip: string, spec: BackendSettings): ChangeReport {
    return this.control.runNow(this.control.addBackend(vip, spec));
  }

  /** Removes a backend; its tracked flows move to others. */
  removeBackend(vip: string, name: string): ChangeReport {
    return this.control.runNow(this.control.removeBackend(vip, name));
  }

  /** Weight 0: no new flows, tracked flows finish where they are (Katran's drain). */
  drainBackend(vip: string, name: string): ChangeReport {
    return this.control.runNow(this.control.drainBackend(vip, name));
  }

  setWeight(vip: string, name: string, weight: number): ChangeReport {
    return this.control.runNow(this.control.setWeight(vip, name, weight));
  }

  /** Health check failed: no new flows and its tracked flows move now. */
  markDown(vip: string, name: string): ChangeReport {
    return this.control.runNow(this.control.markDown(vip, name));
  }

  markUp(vip: string, name: string): ChangeReport {
    return this.control.runNow(this.control.markUp(vip, name));
  }

  /** A new table size for every VIP; Maglev rebuilds (and reshuffles the whole hash space). */
  setTableSize(size: number): ChangeReport[] {
    return this.control.runNow(this.control.setTableSize(size));
  }

  configure(settings: Record<string, unknown>): void {
    const runtime = ['mode', 'idle_timeout', 'table_size'];
    for (const k of Object.keys(settings)) {
      if (!runtime.includes(k)) {
        throw new LbSettingsError(
          `lb settings: ${k}: cannot change at run time (${k === 'vips' ? 'use the backend operations' : 'restart the stage'}); run-time keys: ${runtime.join(', ')}`,
        );
      }
    }
    const errs = schemaErrors(LbSettingsSchema, settings);
    if (errs.length) throw new LbSettingsError(`lb settings: ${errs.join('; ')}`);
    if (settings.table_size !== undefined) {
      try {
        assertPrimeTableSize(settings.table_size as number);
        this.checkTableMemory(settings.table_size as number);
      } catch (e) {
        throw new LbSettingsError(`lb settings: ${(e as Error).message}`);
      }
    }
    if (settings.mode !== undefined) this.mode = settings.mode as ForwardingMode;
    if (settings.idle_timeout !== undefined && this.conntrack)
      this.conntrack.idleNs = (settings.idle_timeout as number) * 1e9;
    // built in slices like the control API's (tableSize changes now, the tables within a few
    // turns); checked above, so nothing is left to refuse
    if (settings.table_size !== undefined && settings.table_size !== this.tableSize)
      void this.scheduled.setTableSize(settings.table_size as number).catch(() => undefined);
  }

  // ---- views (views.ts) --------------------------------------------------------------------

  /** Every VIP with its backends, their state, table share, packets and tracked flows. */
  listBackends(): VipView[] {
    return listBackends(this.control);
  }

  /** Backend address -> name now (for the backends stage's per-backend counts). */
  backendNames(): Record<string, string> {
    return currentBackendNames(this.pool);
  }

  /** Name of the backend a flow is tracked to, or null (tests and the CLI; not a data-path call). */
  trackedBackend(srcIp: string, srcPort: number, dstIp: string, dstPort: number, proto: number): string | null {
    return trackedBackendName(this.control, srcIp, srcPort, dstIp, dstPort, proto, this.clock());
  }

  describe(): Record<string, unknown> {
    return describeLb(this.variant, this.mode, this.control);
  }

  metrics(): CustomMetricSpec[] {
    return lbMetrics(this.stage, this.variant, this.control);
  }
}
