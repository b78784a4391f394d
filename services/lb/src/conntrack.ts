// Connection tracking: a bounded table of flow (5-tuple) -> backend, so a flow keeps its backend
// when the selection table is rebuilt (Katran's fixed-size LRU). Open addressing with linear
// probing over typed arrays, keyed by the numbers of the 5-tuple: no strings, no objects, no
// allocation per packet. An intrusive doubly linked list through the entries keeps LRU order;
// since every touch stamps the current time, the list tail is also the idlest flow, so idle
// expiry and eviction both take from the tail.

export class ConnTrack {
  readonly capacity: number;
  /** Idle timeout in ns; 0 = flows never expire (only LRU eviction bounds the table). */
  idleNs: number;
  hits = 0;
  misses = 0;
  inserts = 0;
  /** Flows pushed out by a new flow when the table was full (LRU). */
  evictions = 0;
  /** Flows removed after idling longer than the timeout. */
  expired = 0;
  /** Flows removed because their backend left the pool. */
  purged = 0;
  size = 0;

  private readonly mask: number;
  private readonly buckets: Int32Array; // entry index, -1 = empty
  // entry fields (index = entry)
  private readonly kHash: Uint32Array;
  private readonly kSrc: Uint32Array;
  private readonly kDst: Uint32Array;
  private readonly kPorts: Uint32Array; // srcPort << 16 | dstPort
  private readonly kProto: Uint8Array;
  private readonly backend: Int32Array;
  private readonly last: Float64Array; // ns of the last packet
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1; // most recently used
  private tail = -1; // least recently used
  private readonly free: Int32Array; // stack of unused entries
  private freeTop: number;

  /** Bytes the arrays below take for `capacity` flows (the memory budget's estimate). */
  static bytesFor(capacity: number): number {
    return bucketCount(capacity) * 4 + capacity * (4 * 4 + 1 + 4 + 8 + 4 * 3);
  }

  constructor(capacity: number, idleTimeoutS: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`conntrack capacity ${capacity} must be a positive integer`);
    this.capacity = capacity;
    this.idleNs = idleTimeoutS * 1e9;
    const nb = bucketCount(capacity);
    this.mask = nb - 1;
    this.buckets = new Int32Array(nb).fill(-1);
    this.kHash = new Uint32Array(capacity);
    this.kSrc = new Uint32Array(capacity);
    this.kDst = new Uint32Array(capacity);
    this.kPorts = new Uint32Array(capacity);
    this.kProto = new Uint8Array(capacity);
    this.backend = new Int32Array(capacity);
    this.last = new Float64Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  /** Backend id of a tracked flow, or -1 (a miss). A hit refreshes the flow's age and LRU place. */
  lookup(hash: number, src: number, dst: number, ports: number, proto: number, now: number): number {
    const bk = this.buckets;
    const mask = this.mask;
    let b = hash & mask;
    for (;;) {
      const e = bk[b];
      if (e < 0) break;
      if (
        this.kHash[e] === hash &&
        this.kSrc[e] === src &&
        this.kDst[e] === dst &&
        this.kPorts[e] === ports &&
        this.kProto[e] === proto
      ) {
        if (this.idleNs > 0 && now - this.last[e] > this.idleNs) {
          this.unlink(e);
          this.unbucket(b);
          this.release(e);
          this.expired++;
          break;
        }
        this.last[e] = now;
        this.touch(e);
        this.hits++;
        return this.backend[e];
      }
      b = (b + 1) & mask;
    }
    this.misses++;
    return -1;
  }

  /** Like lookup, but changes nothing (no counters, no LRU move): for inspection. */
  find(hash: number, src: number, dst: number, ports: number, proto: number, now: number): number {
    let b = hash & this.mask;
    for (;;) {
      const e = this.buckets[b];
      if (e < 0) return -1;
      if (
        this.kHash[e] === hash &&
        this.kSrc[e] === src &&
        this.kDst[e] === dst &&
        this.kPorts[e] === ports &&
        this.kProto[e] === proto
      ) {
        return this.idleNs > 0 && now - this.last[e] > this.idleNs ? -1 : this.backend[e];
      }
      b = (b + 1) & this.mask;
    }
  }

  /** Tracks a new flow (call after a miss). A full table first evicts the least recently used. */
  insert(hash: number, src: number, dst: number, ports: number, proto: number, backend: number, now: number): void {
    if (this.freeTop === 0) {
      this.removeEntry(this.tail);
      this.evictions++;
    }
    const e = this.free[--this.freeTop];
    this.kHash[e] = hash;
    this.kSrc[e] = src;
    this.kDst[e] = dst;
    this.kPorts[e] = ports;
    this.kProto[e] = proto;
    this.backend[e] = backend;
    this.last[e] = now;
    this.prev[e] = -1;
    this.next[e] = this.head;
    if (this.head >= 0) this.prev[this.head] = e;
    this.head = e;
    if (this.tail < 0) this.tail = e;
    const bk = this.buckets;
    let b = hash & this.mask;
    while (bk[b] >= 0) b = (b + 1) & this.mask;
    bk[b] = e;
    this.size++;
    this.inserts++;
  }

  /** Removes flows idle longer than the timeout, oldest first; returns how many. */
  expire(now: number): number {
    if (this.idleNs <= 0) return 0;
    let n = 0;
    while (this.tail >= 0 && now - this.last[this.tail] > this.idleNs) {
      this.removeEntry(this.tail);
      n++;
    }
    this.expired += n;
    return n;
  }

  /**
   * Visits every tracked flow, most recent first, with its entry index, hash and backend; a true
   * return removes it (counted as purged). Control path only.
   */
  sweep(visit: (hash: number, backend: number) => boolean): void {
    let e = this.head;
    while (e >= 0) {
      const nxt = this.next[e];
      if (visit(this.kHash[e], this.backend[e])) {
        this.removeEntry(e);
        this.purged++;
      }
      e = nxt;
    }
  }

  /** Drops every flow (tests, reconfiguration). */
  clear(): void {
    while (this.tail >= 0) this.removeEntry(this.tail);
  }

  private touch(e: number): void {
    if (this.head === e) return;
    // unlink (e is not the head, so prev[e] >= 0)
    const p = this.prev[e];
    const n = this.next[e];
    this.next[p] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
    // push front
    this.prev[e] = -1;
    this.next[e] = this.head;
    this.prev[this.head] = e;
    this.head = e;
  }

  private unlink(e: number): void {
    const p = this.prev[e];
    const n = this.next[e];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private release(e: number): void {
    this.free[this.freeTop++] = e;
    this.size--;
  }

  private removeEntry(e: number): void {
    let b = this.kHash[e] & this.mask;
    while (this.buckets[b] !== e) b = (b + 1) & this.mask;
    this.unlink(e);
    this.unbucket(b);
    this.release(e);
  }

  /**
   * Empties bucket `b` by backward-shift deletion: later entries of the probe run move back
   * unless that would put them before their home bucket. No tombstones, so lookups never slow
   * down as flows come and go.
   */
  private unbucket(b: number): void {
    const bk = this.buckets;
    const mask = this.mask;
    let hole = b;
    let j = (b + 1) & mask;
    for (;;) {
      const e = bk[j];
      if (e < 0) break;
      const home = this.kHash[e] & mask;
      // e may fill the hole unless its home lies cyclically in (hole, j]
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!stays) {
        bk[hole] = e;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    bk[hole] = -1;
  }
}

/** Hash buckets for `capacity` flows: a power of two, at most half full, so probes stay short. */
function bucketCount(capacity: number): number {
  let nb = 2;
  while (nb < capacity * 2) nb *= 2;
  return nb;
}
