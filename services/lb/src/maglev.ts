// Maglev consistent hashing (Eisenbud et al., NSDI 2016, §3.4). Each backend has a preference
// list over the M slots, permutation[j] = (offset + j*skip) mod M with offset = h1(name) mod M
// and skip = h2(name) mod (M-1) + 1; backends take turns claiming their next preferred empty
// slot until the table is full. Turns alternate, so every backend owns M/N slots +-1, and a
// change moves few slots between survivors because their preference lists stay the same.
//
// Weights (as Katran's MaglevHashV2): each round a backend earns credit equal to its weight and
// takes a turn whenever its credit reaches the largest weight, so it claims slots in proportion
// to its weight.

import { performance } from 'node:perf_hooks';
import { h1, h2 } from './name-hash';
import { assertPrimeTableSize } from './prime';
import { SLICE_CHUNK, SliceClock, type Member, type Selector, type SliceSteps } from './selector';

export const DEFAULT_TABLE_SIZE = 65537;

export class MaglevTable implements Selector {
  readonly algorithm = 'maglev';
  readonly weighted = true;
  readonly size: number;
  rebuilds = 0;
  lastBuildNs = 0;
  totalBuildNs = 0;
  /** Slices the last build took (1 when it fitted in one). */
  lastBuildSlices = 0;
  /** Slot -> backend id, -1 when no backend is eligible. */
  private table: Int32Array;
  // The previous table is kept so a change can be diffed without copying; builds alternate.
  // Allocated at the second build: a new table is never served before its first.
  private spare: Int32Array | null = null;
  private built = false;

  /** Bytes a table of `size` slots holds: the table served and the spare the next build writes. */
  static bytesFor(size: number): number {
    return 2 * size * Int32Array.BYTES_PER_ELEMENT;
  }

  constructor(size = DEFAULT_TABLE_SIZE) {
    assertPrimeTableSize(size);
    this.size = size;
    // filled by the first build, in slices (a large table is never served before it)
    this.table = new Int32Array(size);
  }

  rebuild(members: readonly Member[]): void {
    for (const step = this.build(members); !step.next().done;);
  }

  /**
   * Rebuilds in slices of at most SLICE_MS: the table keeps serving the previous mapping
   * until the last slice swaps the new one in. Build time counts only the slices, not the
   * batches processed between them.
   */
  *build(members: readonly Member[]): SliceSteps<void> {
    let t = performance.now();
    let ns = 0;
    let slices = 1;
    const next = this.built ? (this.spare ??= new Int32Array(this.size)) : this.table;
    for (const step = populateSteps(next, this.size, members); !step.next().done;) {
      ns += (performance.now() - t) * 1e6;
      slices++;
      yield;
      t = performance.now();
    }
    if (this.built) {
      this.spare = this.table;
      this.table = next;
    }
    this.built = true;
    this.lastBuildNs = ns + (performance.now() - t) * 1e6;
    this.lastBuildSlices = slices;
    this.totalBuildNs += this.lastBuildNs;
    this.rebuilds++;
  }

  pick(hash: number): number {
    return this.table[hash % this.size];
  }

  peek(hash: number): number {
    return this.table[hash % this.size];
  }

  mapping(): Int32Array {
    return this.table;
  }
}

/**
 * Fills `table` (M slots) from `members`. Members are ordered by name first so that the result
 * depends only on the set of backends, not on the order they were added in.
 */
export function populate(table: Int32Array, M: number, members: readonly Member[]): void {
  table.fill(-1);
  const f = new MaglevFill(M, members);
  while (!f.run(table, Infinity));
}

/** populate() in slices: yields each time a slice has run SLICE_MS. */
export function* populateSteps(table: Int32Array, M: number, members: readonly Member[]): SliceSteps<void> {
  const clock = new SliceClock();
  for (let from = 0; from < M; from += SLICE_CHUNK * 64) {
    if (clock.spent()) {
      yield;
      clock.restart();
    }
    table.fill(-1, from, Math.min(M, from + SLICE_CHUNK * 64));
  }
  const f = new MaglevFill(M, members);
  while (!f.run(table, SLICE_CHUNK)) {
    if (clock.spent()) {
      yield;
      clock.restart();
    }
  }
}

/**
 * The population loop, resumable: run() claims slots until the table is full or it has done
 * `work` slots claimed or probed, and takes up where it stopped, even inside a probe (near the
 * end one claim can probe most of the table).
 */
class MaglevFill {
  private readonly n: number;
  private readonly ids: Int32Array;
  private readonly weight: Float64Array;
  private readonly skip: Int32Array;
  private readonly pos: Int32Array; // slot of the next preference to try
  private readonly credit: Float64Array;
  private maxW = 0;
  private filled = 0;
  private i = 0; // whose turn it is
  private probing = false; // backend i has taken its turn and is looking for an empty slot

  constructor(
    private readonly M: number,
    members: readonly Member[],
  ) {
    const ms = members.filter((m) => m.weight > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const n = (this.n = ms.length);
    this.ids = new Int32Array(n);
    this.weight = new Float64Array(n);
    this.skip = new Int32Array(n);
    this.pos = new Int32Array(n);
    this.credit = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const m = ms[i];
      this.ids[i] = m.id;
      this.weight[i] = m.weight;
      if (m.weight > this.maxW) this.maxW = m.weight;
      this.pos[i] = h1(m.name) % M;
      this.skip[i] = (h2(m.name) % (M - 1)) + 1;
    }
  }

  /** True when the table is full (or no backend is eligible: it stays -1). */
  run(table: Int32Array, work: number): boolean {
    const { M, n, ids, weight, skip, pos, credit, maxW } = this;
    if (n === 0 || this.filled === M) return true;
    let i = this.i;
    let probing = this.probing;
    let done = 0;
    for (;;) {
      for (; i < n; i++) {
        if (!probing) {
          credit[i] += weight[i];
          if (credit[i] < maxW) continue;
          credit[i] -= maxW;
        }
        const s = skip[i];
        let c = pos[i];
        while (table[c] >= 0) {
          c += s;
          if (c >= M) c -= M;
          if (++done >= work) {
            pos[i] = c;
            this.i = i;
            this.probing = true;
            return false;
          }
        }
        probing = false;
        table[c] = ids[i];
        c += s;
        if (c >= M) c -= M;
        pos[i] = c;
        if (++this.filled === M) return true;
        if (++done >= work) {
          this.i = i + 1;
          this.probing = false;
          return false;
        }
      }
      i = 0;
    }
  }
}
