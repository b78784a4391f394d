// Constant-rate pacing with a timed drain, as DPDK's l2fwd drains its TX buffers: packets fall
// due on a schedule, one every 1/rate seconds, and a batch goes when it is full or when its
// oldest due packet has waited `flushNs`. Small batches would cost the chain a bus round trip
// each; waiting for a full one at a low rate would add seconds of latency. Each packet is
// stamped with the time it fell due, not the time its batch left, so the wait in the batch is
// measured as latency, not hidden.
//
// A schedule that falls more than `slackNs` behind (the bus pushed back, or the process itself
// was late: descheduled, a long GC, a timer that fired late) skips ahead; the packets skipped were
// offered and not sent, and are counted so a shortfall is never silent. The caller says how long
// it waited on its output meanwhile, so the count says which of the two it was.

export class Pacer {
  /** When the next packet falls due (CLOCK_MONOTONIC ns); -1 before the first call. */
  private nextDueNs = -1;
  private intervalNs: number;
  /** Packets the schedule skipped because the sender fell behind by more than the slack. */
  notSent = 0;
  /** Of notSent, those the sender lost to its own lateness, not to waiting on its output. */
  notSentLate = 0;
  /** A shorter slack that applies once the packets gathered under the longer one are sent. */
  private nextSlackNs = -1;

  constructor(
    public rate: number,
    private flushNs: number,
    private slackNs: number,
  ) {
    if (!(rate > 0)) throw new RangeError(`pacer rate ${rate} must be > 0`);
    this.intervalNs = 1e9 / rate;
  }

  /**
   * A new rate from the next packet on (POST /control): the packet already scheduled keeps its
   * time, the ones after it fall due at the new interval, so nothing offered is lost or doubled.
   */
  setRate(rate: number): void {
    if (!(rate > 0)) throw new RangeError(`pacer rate ${rate} must be > 0`);
    this.rate = rate;
    this.intervalNs = 1e9 / rate;
  }

  /**
   * A new flush interval (and the slack that goes with it) from the next batch on (PUT /traffic):
   * the schedule goes on, so nothing offered is lost or doubled. A shorter slack waits until the
   * batch gathered under the longer flush has gone, or its packets would count as skipped.
   */
  setFlush(flushNs: number, slackNs: number): void {
    this.flushNs = flushNs;
    if (slackNs >= this.slackNs) {
      this.slackNs = slackNs;
      this.nextSlackNs = -1;
    } else this.nextSlackNs = slackNs;
  }

  private begin(nowNs: number): void {
    if (this.nextDueNs < 0) this.nextDueNs = nowNs;
  }

  /**
   * Packets due at `nowNs`, after skipping what fell further behind than the slack. `heldNs`: how
   * long the sender waited on its output since the last call; skipped packets up to that much
   * time count as held back by the chain, the rest as the sender's own lateness.
   */
  due(nowNs: number, heldNs = 0): number {
    this.begin(nowNs);
    const late = nowNs - this.slackNs - this.nextDueNs;
    if (late > 0) {
      const skipped = Math.ceil(late / this.intervalNs);
      this.notSent += skipped;
      this.notSentLate += Math.max(0, skipped - Math.ceil(heldNs / this.intervalNs));
      this.nextDueNs += skipped * this.intervalNs;
    }
    if (this.nextSlackNs >= 0) {
      this.slackNs = this.nextSlackNs;
      this.nextSlackNs = -1;
    }
    return nowNs < this.nextDueNs ? 0 : Math.floor((nowNs - this.nextDueNs) / this.intervalNs) + 1;
  }

  /** Takes the next due packet and returns the time it fell due. */
  take(): number {
    const t = this.nextDueNs;
    this.nextDueNs += this.intervalNs;
    return t;
  }

  /**
   * Milliseconds until a batch of `capacity` should go: 0 when that many are due or the oldest
   * due one has waited the flush interval; else until the earlier of the two. The flush waits
   * only for packets that can still join: at a rate below one per flush interval each goes
   * when it falls due.
   */
  waitMs(nowNs: number, capacity: number): number {
    this.begin(nowNs);
    const oldest = this.nextDueNs;
    const full = oldest + (capacity - 1) * this.intervalNs;
    const flush = oldest + Math.floor(this.flushNs / this.intervalNs) * this.intervalNs;
    const at = Math.min(full, flush);
    return at <= nowNs ? 0 : (at - nowNs) / 1e6;
  }
}
