// Per-flow sequence tracking from probes: loss (gaps), reordering and duplicates, with a
// 32-packet window per flow like IPsec anti-replay. Typed arrays indexed by the probe's flow
// number; no per-packet allocation. The flow number comes off the wire, so it never sizes an
// allocation beyond MAX_TRACKED_FLOWS: a probe claiming a larger one is received but untracked.

/** As many flows as the generator can make (its `flows` setting's maximum). */
export const MAX_TRACKED_FLOWS = 1 << 20;

export const enum SeqVerdict {
  InOrder = 0,
  Reordered = 1,
  Duplicate = 2,
  Late = 3, // older than the window: counted as reordered, cannot tell a duplicate
  Untracked = 4, // a flow number beyond MAX_TRACKED_FLOWS: no sequence tracking
}

export class FlowTracker {
  private next = new Float64Array(1024); // highest seq seen + 1, 0 = none yet
  private window = new Uint32Array(1024); // bit k: seq (next-1-k) seen
  gaps = 0; // sequence numbers skipped so far (provisional loss; reordering fills them back)
  reordered = 0;
  duplicates = 0;
  flowsSeen = 0;
  /** Probes whose flow number was beyond MAX_TRACKED_FLOWS. */
  untracked = 0;

  private grow(flow: number): void {
    let n = this.next.length;
    while (n <= flow) n *= 2;
    const a = new Float64Array(n);
    a.set(this.next);
    const w = new Uint32Array(n);
    w.set(this.window);
    this.next = a;
    this.window = w;
  }

  observe(flow: number, seq: number): SeqVerdict {
    if (flow >= MAX_TRACKED_FLOWS) {
      this.untracked++;
      return SeqVerdict.Untracked;
    }
    if (flow >= this.next.length) this.grow(flow);
    const next = this.next[flow];
    if (next === 0) this.flowsSeen++;
    if (seq >= next) {
      const shift = seq - next + 1;
      this.gaps += seq - next;
      this.window[flow] = shift >= 32 ? 1 : ((this.window[flow] << shift) | 1) >>> 0;
      this.next[flow] = seq + 1;
      return SeqVerdict.InOrder;
    }
    const back = next - 1 - seq;
    if (back >= 32) {
      this.reordered++;
      this.gaps--;
      return SeqVerdict.Late;
    }
    const bit = (1 << back) >>> 0;
    if (this.window[flow] & bit) {
      this.duplicates++;
      return SeqVerdict.Duplicate;
    }
    this.window[flow] = (this.window[flow] | bit) >>> 0;
    this.reordered++;
    this.gaps--;
    return SeqVerdict.Reordered;
  }
}
