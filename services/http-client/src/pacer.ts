// The target transaction rate: a token falls due every 1/rate seconds; a new connection's first
// request and each later keep-alive request take one. A client that falls behind by more than
// the slack (the server answered too slowly for the rate) skips ahead rather than bursting, and
// counts the transactions it could not start on schedule, so a shortfall is never silent.

export class TransactionPacer {
  private nextDueNs = -1;
  private readonly intervalNs: number;
  /** Transactions the schedule skipped because none could start when they fell due. */
  skipped = 0;

  constructor(
    readonly rate: number,
    readonly slackNs: number,
  ) {
    if (!(rate > 0)) throw new RangeError(`rate ${rate} must be > 0`);
    this.intervalNs = 1e9 / rate;
  }

  /** Whether a transaction may start at `nowNs`. */
  due(nowNs: number): boolean {
    if (this.nextDueNs < 0) this.nextDueNs = nowNs;
    const late = nowNs - this.slackNs - this.nextDueNs;
    if (late > 0) {
      const n = Math.ceil(late / this.intervalNs);
      this.skipped += n;
      this.nextDueNs += n * this.intervalNs;
    }
    return nowNs >= this.nextDueNs;
  }

  /** Takes the due token. */
  take(): void {
    this.nextDueNs += this.intervalNs;
  }

  /** Milliseconds until the next token (0 when one is due). */
  waitMs(nowNs: number): number {
    if (this.nextDueNs < 0) return 0;
    return Math.max(0, (this.nextDueNs - nowNs) / 1e6);
  }
}
