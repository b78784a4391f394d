// The retransmission timeout of RFC 6298: SRTT and RTTVAR from round-trip samples (never from a
// retransmitted segment: Karn's rule, §3), RTO = SRTT + max(G, 4 RTTVAR) clamped to
// [rtoMin, rtoMax], doubled on each timeout (§5.5) and recomputed from the next sample.

export class Rto {
  srttMs = 0;
  rttvarMs = 0;
  /** The RTO before backoff. */
  baseMs = 1000;
  /** Timeouts since the last new acknowledgment (the backoff exponent). */
  backoff = 0;

  reset(initialMs: number): void {
    this.srttMs = 0;
    this.rttvarMs = 0;
    this.baseMs = initialMs;
    this.backoff = 0;
  }

  /** RFC 6298 §2.2/§2.3 with alpha 1/8, beta 1/4 and a 1 ms clock granularity G. */
  sample(rttMs: number, minMs: number, maxMs: number): void {
    if (this.srttMs === 0) {
      this.srttMs = rttMs;
      this.rttvarMs = rttMs / 2;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - rttMs);
      this.srttMs = 0.875 * this.srttMs + 0.125 * rttMs;
    }
    this.baseMs = Math.min(maxMs, Math.max(minMs, this.srttMs + Math.max(1, 4 * this.rttvarMs)));
  }

  /** The timeout to arm now: the base doubled once per backoff, at most maxMs. */
  currentMs(maxMs: number): number {
    return Math.min(maxMs, this.baseMs * 2 ** this.backoff);
  }
}
