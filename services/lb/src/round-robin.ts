// Round-robin per new flow: backends take turns regardless of the flow's hash. With weights it
// is nginx's smooth weighted round-robin (each pick adds every weight to its backend's running
// score, takes the highest and subtracts the total), which interleaves picks instead of sending
// bursts to the heaviest backend. It has no hash-space mapping: without connection tracking a
// flow's packets scatter over every backend.

import { performance } from 'node:perf_hooks';
import type { Member, Selector } from './selector';

export class RoundRobin implements Selector {
  readonly algorithm = 'round-robin';
  readonly weighted = true;
  rebuilds = 0;
  lastBuildNs = 0;
  totalBuildNs = 0;
  private ids = new Int32Array(0);
  private weight = new Float64Array(0);
  private score = new Float64Array(0);
  private total = 0;
  private uniform = true;
  private cursor = 0;

  rebuild(members: readonly Member[]): void {
    const t0 = performance.now();
    const ms = members.filter((m) => m.weight > 0);
    this.ids = Int32Array.from(ms, (m) => m.id);
    this.weight = Float64Array.from(ms, (m) => m.weight);
    this.score = new Float64Array(ms.length);
    this.total = ms.reduce((s, m) => s + m.weight, 0);
    this.uniform = ms.every((m) => m.weight === ms[0].weight);
    if (this.cursor >= ms.length) this.cursor = 0;
    this.lastBuildNs = (performance.now() - t0) * 1e6;
    this.totalBuildNs += this.lastBuildNs;
    this.rebuilds++;
  }

  pick(_hash: number): number {
    const n = this.ids.length;
    if (n === 0) return -1;
    if (this.uniform) {
      // equal weights: a plain cursor, O(1)
      const id = this.ids[this.cursor];
      if (++this.cursor === n) this.cursor = 0;
      return id;
    }
    const score = this.score;
    let best = 0;
    for (let i = 0; i < n; i++) {
      score[i] += this.weight[i];
      if (score[i] > score[best]) best = i;
    }
    score[best] -= this.total;
    return this.ids[best];
  }

  peek(_hash: number): null {
    return null;
  }

  mapping(): null {
    return null;
  }
}
