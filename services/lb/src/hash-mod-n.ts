// The naive scheme Maglev replaces: backend = live[hash mod N]. Balanced, stateless, and a
// change of N remaps almost every flow ((N-1)/N of them), which is what the lab shows next to
// Maglev. Weights only matter as zero (drained) or not.

import { performance } from 'node:perf_hooks';
import type { Member, Selector } from './selector';

export class HashModN implements Selector {
  readonly algorithm = 'hash-mod-n';
  readonly weighted = false;
  rebuilds = 0;
  lastBuildNs = 0;
  totalBuildNs = 0;
  private ids = new Int32Array(0);

  /** `mappingSize`: slots of the virtual table used only to measure a change (hash = slot). */
  constructor(public mappingSize: number) {}

  rebuild(members: readonly Member[]): void {
    const t0 = performance.now();
    // configured order, as a naive implementation would keep its array
    this.ids = Int32Array.from(
      members.filter((m) => m.weight > 0),
      (m) => m.id,
    );
    this.lastBuildNs = (performance.now() - t0) * 1e6;
    this.totalBuildNs += this.lastBuildNs;
    this.rebuilds++;
  }

  pick(hash: number): number {
    const n = this.ids.length;
    return n === 0 ? -1 : this.ids[hash % n];
  }

  peek(hash: number): number {
    return this.pick(hash);
  }

  /** The mapping as if hashes were the slot numbers 0..size-1 (uniform hashes spread the same). */
  mapping(): Int32Array {
    const m = new Int32Array(this.mappingSize);
    for (let s = 0; s < m.length; s++) m[s] = this.pick(s);
    return m;
  }
}
