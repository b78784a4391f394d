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
import { SLICE_WORK, type Member, type Selector, type SliceSteps } from './selector';

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
   * Rebuilds in slices of at most SLICE_WORK: the table keeps serving the previous mapping
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
  for (const step = populateSteps(table, M, members); !step.next().done;);
}

/** populate() in slices: yields each time it has done SLICE_WORK slots written or probed. */
export function* populateSteps(table: Int32Array, M: number, members: readonly Member[]): SliceSteps<void> {
  for (let from = 0; from < M; from += SLICE_WORK) {
    if (from > 0) yield;
    table.fill(-1, from, Math.min(M, from + SLICE_WORK));
  }
  const ms = members.filter((m) => m.weight > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const n = ms.length;
  if (n === 0) return;
  const ids = new Int32Array(n);
  const weight = new Float64Array(n);
  const skip = new Int32Array(n);
  const pos = new Int32Array(n); // slot of the next preference to try
  const credit = new Float64Array(n);
  let maxW = 0;
  for (let i = 0; i < n; i++) {
    const m = ms[i];
    ids[i] = m.id;
    weight[i] = m.weight;
    if (m.weight > maxW) maxW = m.weight;
    pos[i] = h1(m.name) % M;
    skip[i] = (h2(m.name) % (M - 1)) + 1;
  }
  let filled = 0;
  let work = 0;
  for (;;) {
    for (let i = 0; i < n; i++) {
      credit[i] += weight[i];
      if (credit[i] < maxW) continue;
      credit[i] -= maxW;
      const s = skip[i];
      let c = pos[i];
      while (table[c] >= 0) {
        c += s;
        if (c >= M) c -= M;
        work++;
      }
      table[c] = ids[i];
      c += s;
      if (c >= M) c -= M;
      pos[i] = c;
      if (++filled === M) return;
      if (++work >= SLICE_WORK) {
        work = 0;
        yield;
      }
    }
  }
}
