// The accounting counters of one stage instance as the bus last committed them. A service writes
// them to Redis in the same atomic step that forwards and acknowledges a batch, so a stage killed
// with -9 restarts from exactly the counts that match what the bus holds: the batches it had in
// hand are redelivered and counted again, once. A commit the bus refuses (another consumer took
// the batch over) rolls the in-memory counters back to the last commit, so nothing counts twice.

import { reasonCode, reasonName } from '../reasons';
import type { StageStats } from './stage-stats';

/** The ledger as stored: a Redis hash of strings. */
export type LedgerHash = Record<string, string>;

/** Where the drops start in a counter vector (see StatsLedger.committedVec). */
const VEC_DROPS = 6;

export class StatsLedger {
  /** Packets this instance put on its output hop (committed). */
  produced = 0;
  /** Packets this instance took off its input hop (committed). */
  consumed = 0;
  private readonly saved: Float64Array;
  private savedIn = 0;
  private savedOut = 0;
  private savedBytesIn = 0;
  private savedBytesOut = 0;
  private savedOriginated = 0;
  private savedDelivered = 0;
  private json = '';
  private readonly jsonOf: Float64Array;
  /**
   * For commits kept in flight (commit-pipeline.ts): the counters as a vector
   * (packets in, out, bytes in, out, originated, delivered, then drops by reason code), as of the
   * last commit and as of the last take().
   */
  private committedVec: Float64Array;
  private takenVec: Float64Array;

  /**
   * @param key the Redis key of this instance's ledger ('' keeps it in memory only)
   * @param stats the counters to persist (null: only the bus counters)
   */
  constructor(
    readonly key: string,
    readonly stats: StageStats | null,
  ) {
    this.saved = new Float64Array(stats ? stats.drops.length : 0);
    this.jsonOf = new Float64Array(stats ? stats.drops.length : 0);
    this.committedVec = this.counters();
    this.takenVec = this.counters();
    this.mark();
  }

  /** The counters now, as a vector (see committedVec). */
  counters(): Float64Array {
    const s = this.stats;
    if (!s) return new Float64Array(0);
    const v = new Float64Array(VEC_DROPS + s.drops.length);
    v[0] = s.packetsIn;
    v[1] = s.packetsOut;
    v[2] = s.bytesIn;
    v[3] = s.bytesOut;
    v[4] = s.originated;
    v[5] = s.delivered;
    v.set(s.drops, VEC_DROPS);
    return v;
  }

  /**
   * What the counters changed by since the last take(): one batch's share, taken when the batch
   * is handed to its commit, so a commit stores the counts of exactly the batches it settles.
   * Shorter than the full vector when the drops past its end did not change.
   */
  take(): Float64Array {
    const s = this.stats;
    if (!s) return new Float64Array(0);
    const t = this.takenVec;
    // most batches change no drop count: their share is the six counters alone
    let len = VEC_DROPS;
    const drops = s.drops;
    for (let i = drops.length - 1; i >= 0; i--)
      if (drops[i] !== t[VEC_DROPS + i]) {
        len = VEC_DROPS + i + 1;
        break;
      }
    const d = new Float64Array(len);
    d[0] = s.packetsIn - t[0];
    d[1] = s.packetsOut - t[1];
    d[2] = s.bytesIn - t[2];
    d[3] = s.bytesOut - t[3];
    d[4] = s.originated - t[4];
    d[5] = s.delivered - t[5];
    t[0] = s.packetsIn;
    t[1] = s.packetsOut;
    t[2] = s.bytesIn;
    t[3] = s.bytesOut;
    t[4] = s.originated;
    t[5] = s.delivered;
    for (let i = VEC_DROPS; i < len; i++) {
      d[i] = drops[i - VEC_DROPS] - t[i];
      t[i] = drops[i - VEC_DROPS];
    }
    return d;
  }

  /** A batch's share that was not committed goes with the next take() instead. */
  giveBack(d: Float64Array): void {
    const t = this.takenVec;
    for (let i = 0; i < d.length; i++) t[i] -= d[i];
  }

  /** Counts made after a take() that belong to its batch (a refusal's drops): kept out of the next take(). */
  addToTaken(d: Float64Array): void {
    const t = this.takenVec;
    for (let i = 0; i < d.length; i++) t[i] += d[i];
  }

  /** A batch given up to another consumer: its share leaves the counters (that consumer counts it). */
  forget(d: Float64Array): void {
    const s = this.stats;
    if (!s) return;
    s.packetsIn -= d[0];
    s.packetsOut -= d[1];
    s.bytesIn -= d[2];
    s.bytesOut -= d[3];
    s.originated -= d[4];
    s.delivered -= d[5];
    for (let i = VEC_DROPS; i < d.length; i++) s.drops[i - VEC_DROPS] -= d[i];
    this.giveBack(d);
  }

  /** The committed vector plus `shares`, in order: what the counters are once those batches commit. */
  after(shares: Float64Array[]): Float64Array {
    const v = this.committedVec.slice();
    for (const d of shares) for (let i = 0; i < d.length; i++) v[i] += d[i];
    return v;
  }

  /** The stored ledger value for the counters `v` (from after()) and these bus totals. */
  valueOf(v: Float64Array, produced: number, consumed: number): string {
    const head = `${produced} ${consumed}`;
    if (!this.stats) return `${head} 0 0 0 0 {}`;
    const drops: Record<string, number> = {};
    for (let i = VEC_DROPS + 1; i < v.length; i++) if (v[i] > 0) drops[reasonName(i - VEC_DROPS)] = v[i];
    return `${head} ${v[0]} ${v[1]} ${v[2]} ${v[3]} ${JSON.stringify(drops)} ${v[4]} ${v[5]}`;
  }

  /** A commit of batches up to the counters `v` succeeded. */
  committedAt(v: Float64Array, addProduced: number, addConsumed: number): void {
    this.produced += addProduced;
    this.consumed += addConsumed;
    this.committedVec = v;
  }

  /**
   * The ledger value to store once a commit adding `produced`/`consumed` packets succeeds: one
   * string (`prod cons pin pout bin bout {drops} originated delivered`), so the commit carries one
   * argument for it.
   */
  value(addProduced: number, addConsumed: number): string {
    const s = this.stats;
    const head = `${this.produced + addProduced} ${this.consumed + addConsumed}`;
    if (!s) return `${head} 0 0 0 0 {}`;
    return `${head} ${s.packetsIn} ${s.packetsOut} ${s.bytesIn} ${s.bytesOut} ${this.dropsJson(s)} ${s.originated} ${s.delivered}`;
  }

  /** Drops by reason as JSON, rebuilt only when a drop count changed (most batches drop nothing). */
  private dropsJson(s: StageStats): string {
    const d = s.drops;
    const c = this.jsonOf;
    let same = this.json !== '';
    for (let i = 0; same && i < d.length; i++) if (d[i] !== c[i]) same = false;
    if (!same) {
      c.set(d);
      this.json = JSON.stringify(s.dropsByReason());
    }
    return this.json;
  }

  /** The commit succeeded: its counts are now the committed state. */
  committed(addProduced: number, addConsumed: number): void {
    this.produced += addProduced;
    this.consumed += addConsumed;
    this.mark();
  }

  /** The commit was refused: undo what the batch counted since the last commit. */
  rollback(): void {
    const s = this.stats;
    if (!s) return;
    s.packetsIn = this.savedIn;
    s.packetsOut = this.savedOut;
    s.bytesIn = this.savedBytesIn;
    s.bytesOut = this.savedBytesOut;
    s.originated = this.savedOriginated;
    s.delivered = this.savedDelivered;
    s.drops.set(this.saved);
  }

  /** Starts from a stored ledger (a restarted instance). Throws on a ledger this code did not write. */
  seed(h: LedgerHash): void {
    if (h.v === undefined) return;
    // (a ledger written before loop chains ends at the drops)
    const m = /^(\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\{.*\})(?: (\d+) (\d+))?$/.exec(h.v);
    if (!m) throw new Error(`ledger ${this.key}: not a ledger value: ${h.v.slice(0, 80)}`);
    this.produced = Number(m[1]);
    this.consumed = Number(m[2]);
    const s = this.stats;
    if (s) {
      s.packetsIn = Number(m[3]);
      s.packetsOut = Number(m[4]);
      s.bytesIn = Number(m[5]);
      s.bytesOut = Number(m[6]);
      s.originated = Number(m[8] ?? 0);
      s.delivered = Number(m[9] ?? 0);
      s.drops.fill(0);
      for (const [r, n] of Object.entries(JSON.parse(m[7]) as Record<string, number>))
        s.drops[reasonCode(r)] = Number(n) || 0;
    }
    this.committedVec = this.counters();
    this.takenVec = this.counters();
    this.mark();
  }

  private mark(): void {
    const s = this.stats;
    if (!s) return;
    this.savedIn = s.packetsIn;
    this.savedOut = s.packetsOut;
    this.savedBytesIn = s.bytesIn;
    this.savedBytesOut = s.bytesOut;
    this.savedOriginated = s.originated;
    this.savedDelivered = s.delivered;
    this.saved.set(s.drops);
  }
}
