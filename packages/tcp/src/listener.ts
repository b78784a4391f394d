// A listening port: how many of its connections are still in the handshake (the SYN queue)
// and the finished ones waiting for accept() (the accept queue, a ring of connection ids).
// Both are bounded as Linux bounds them; overflow is the caller's counted drop.

export class Listener {
  /** Connections in SYN-RECEIVED that came through this listener. */
  synCount = 0;
  private readonly ring: Uint32Array;
  private head = 0;
  /** Connections waiting in the accept queue. */
  acceptCount = 0;

  constructor(
    readonly port: number,
    /** Accept queue bound (listen()'s backlog, capped by somaxconn). */
    readonly backlog: number,
    maxSynBacklog: number,
  ) {
    this.ring = new Uint32Array(backlog);
    this.synBacklog = synQueueBound(backlog, maxSynBacklog);
  }

  /** SYN queue bound (see synQueueBound). */
  readonly synBacklog: number;

  get synQueueFull(): boolean {
    return this.synCount >= this.synBacklog;
  }

  /**
   * Linux's sk_acceptq_is_full is `ack_backlog > max_ack_backlog`, so a listener holds
   * backlog + 1; we hold exactly `backlog`.
   */
  get acceptQueueFull(): boolean {
    return this.acceptCount >= this.backlog;
  }

  pushAccept(conn: number): boolean {
    if (this.acceptQueueFull) return false;
    this.ring[(this.head + this.acceptCount) % this.backlog] = conn;
    this.acceptCount++;
    return true;
  }

  /** The oldest waiting connection id, or -1. */
  shiftAccept(): number {
    if (this.acceptCount === 0) return -1;
    const c = this.ring[this.head];
    this.head = (this.head + 1) % this.backlog;
    this.acceptCount--;
    return c;
  }
}

/**
 * Linux 3.10's SYN queue size (reqsk_queue_alloc): min(backlog, tcp_max_syn_backlog), at least
 * 8, plus one, rounded up to a power of two; inet_csk_reqsk_queue_is_full refuses at that many.
 */
export function synQueueBound(backlog: number, maxSynBacklog: number): number {
  let n = Math.max(Math.min(backlog, maxSynBacklog), 8) + 1;
  let p = 1;
  while (p < n) p *= 2;
  n = p;
  return n;
}
