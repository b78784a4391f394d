// The firewall's connection table: a bounded open-addressing hash table (linear probing,
// backward-shift deletion, so no tombstones ever lengthen a probe) in typed arrays. A flow is
// keyed by its 5-tuple with the two endpoints in a fixed order, so a packet and its reply find
// the same entry with one lookup; the entry remembers which endpoint opened the flow.
//
// Entries age out after `idleNs` without a packet: lazily, when a lookup finds one stale, and by
// a bounded sweep of a few slots per batch (sweep(now, slots)), so a full table of dead flows
// frees itself without any per-packet loop over the table.

import { flowHash } from '@vnflab/core';

/** Lookup results. */
export const MISS = 0;
/** A packet in the direction that opened the flow. */
export const ORIGINAL = 1;
/** A packet in the reverse direction (the reply). */
export const REPLY = 2;

export const MAX_CAPACITY = 1 << 22;

export class ConnTable {
  readonly capacity: number;
  /** Slots: the power of two at least twice the capacity, so the load stays at or under 1/2. */
  readonly slots: number;
  idleNs: number;
  size = 0;
  hitsOriginal = 0;
  hitsReply = 0;
  inserted = 0;
  expired = 0;
  /** New flows refused because the table held `capacity` flows. */
  full = 0;
  /** Flows removed because a rule change no longer allows them. */
  revoked = 0;
  private readonly mask: number;
  private readonly hash: Uint32Array;
  private readonly ipA: Uint32Array;
  private readonly ipB: Uint32Array;
  private readonly ports: Uint32Array; // portA << 16 | portB
  private readonly proto: Uint8Array;
  /** 0 empty, else which endpoint opened the flow (ORIGINAL: A, REPLY: B). */
  private readonly opener: Uint8Array;
  private readonly last: Float64Array;
  private cursor = 0;
  // the canonical key of the last lookup, reused by insert (no allocation per packet)
  private kA = 0;
  private kB = 0;
  private kPorts = 0;
  private kProto = 0;
  private kDir = 0;
  private kHash = 0;

  /** Bytes the arrays below take for `capacity` flows (the memory budget's estimate). */
  static bytesFor(capacity: number): number {
    let s = 2;
    while (s < capacity * 2) s *= 2;
    return s * (4 * 4 + 1 + 1 + 8);
  }

  constructor(capacity: number, idleTimeoutMs: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY)
      throw new RangeError(`conntrack_size: ${capacity} is out of range 1..${MAX_CAPACITY}`);
    this.capacity = capacity;
    let s = 2;
    while (s < capacity * 2) s *= 2;
    this.slots = s;
    this.mask = s - 1;
    this.idleNs = idleTimeoutMs * 1e6;
    this.hash = new Uint32Array(s);
    this.ipA = new Uint32Array(s);
    this.ipB = new Uint32Array(s);
    this.ports = new Uint32Array(s);
    this.proto = new Uint8Array(s);
    this.opener = new Uint8Array(s);
    this.last = new Float64Array(s);
  }

  private key(proto: number, src: number, dst: number, sport: number, dport: number): void {
    if (src < dst || (src === dst && sport <= dport)) {
      this.kA = src;
      this.kB = dst;
      this.kPorts = ((sport << 16) | dport) >>> 0;
      this.kDir = ORIGINAL;
    } else {
      this.kA = dst;
      this.kB = src;
      this.kPorts = ((dport << 16) | sport) >>> 0;
      this.kDir = REPLY;
    }
    this.kProto = proto;
    this.kHash = flowHash(this.kA, this.kB, proto, this.kPorts >>> 16, this.kPorts & 0xffff);
  }

  private stale(slot: number, now: number): boolean {
    return this.idleNs > 0 && now - this.last[slot] > this.idleNs;
  }

  /**
   * Looks a packet's flow up: ORIGINAL or REPLY when tracked (its idle clock restarts), MISS
   * when not (or when its entry had expired, which is then removed). Remembers the key so an
   * insert right after needs no second hash.
   */
  lookup(proto: number, src: number, dst: number, sport: number, dport: number, now: number): number {
    this.key(proto, src, dst, sport, dport);
    const { kA, kB, kPorts, kProto } = this;
    const mask = this.mask;
    for (let s = this.kHash & mask; this.opener[s] !== 0; s = (s + 1) & mask) {
      if (this.ipA[s] !== kA || this.ipB[s] !== kB || this.ports[s] !== kPorts || this.proto[s] !== kProto) continue;
      if (this.stale(s, now)) {
        this.remove(s);
        this.expired++;
        return MISS;
      }
      this.last[s] = now;
      if (this.opener[s] === this.kDir) {
        this.hitsOriginal++;
        return ORIGINAL;
      }
      this.hitsReply++;
      return REPLY;
    }
    return MISS;
  }

  /**
   * Tracks the flow of the last lookup (which must have missed), opened by that packet's
   * sender. False when the table already holds `capacity` flows: nothing is evicted.
   */
  insertLast(now: number): boolean {
    if (this.size >= this.capacity) {
      this.full++;
      return false;
    }
    const mask = this.mask;
    let s = this.kHash & mask;
    while (this.opener[s] !== 0) s = (s + 1) & mask;
    this.hash[s] = this.kHash;
    this.ipA[s] = this.kA;
    this.ipB[s] = this.kB;
    this.ports[s] = this.kPorts;
    this.proto[s] = this.kProto;
    this.opener[s] = this.kDir;
    this.last[s] = now;
    this.size++;
    this.inserted++;
    return true;
  }

  /** Empties slot `i` and shifts later entries of its probe run back, so every probe stays unbroken. */
  private remove(i: number): void {
    const mask = this.mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (this.opener[j] === 0) break;
      const home = this.hash[j] & mask;
      // entry j may move to i when its home slot is not cyclically within (i, j]
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      this.hash[i] = this.hash[j];
      this.ipA[i] = this.ipA[j];
      this.ipB[i] = this.ipB[j];
      this.ports[i] = this.ports[j];
      this.proto[i] = this.proto[j];
      this.opener[i] = this.opener[j];
      this.last[i] = this.last[j];
      i = j;
    }
    this.opener[i] = 0;
    this.size--;
  }

  /** Examines at most `budget` slots from where the last sweep stopped and removes stale entries; returns how many. */
  sweep(now: number, budget: number): number {
    if (this.idleNs <= 0 || this.size === 0) return 0;
    let removed = 0;
    let s = this.cursor;
    for (let k = 0; k < budget; k++) {
      if (this.opener[s] !== 0 && this.stale(s, now)) {
        this.remove(s); // a later entry may have shifted into s: look at s again
        removed++;
        if (this.size === 0) break;
      } else {
        s = (s + 1) & this.mask;
      }
    }
    this.cursor = s;
    this.expired += removed;
    return removed;
  }

  /**
   * Removes every flow `keep` refuses, given as the opener's direction (src, dst, ports); a
   * control-path walk over the whole table (rule changes), never called per packet.
   */
  retain(keep: (proto: number, src: number, dst: number, sport: number, dport: number) => boolean): number {
    let removed = 0;
    for (let s = 0; s <= this.mask;) {
      if (this.opener[s] !== 0) {
        const a = this.ipA[s];
        const b = this.ipB[s];
        const pa = this.ports[s] >>> 16;
        const pb = this.ports[s] & 0xffff;
        const ok = this.opener[s] === ORIGINAL ? keep(this.proto[s], a, b, pa, pb) : keep(this.proto[s], b, a, pb, pa);
        if (!ok) {
          this.remove(s); // look at s again: a later entry may have moved in
          removed++;
          continue;
        }
      }
      s++;
    }
    this.revoked += removed;
    return removed;
  }

  /** Whether a flow is tracked now (either direction), without touching its idle clock; tests and views. */
  has(proto: number, src: number, dst: number, sport: number, dport: number, now: number): boolean {
    this.key(proto, src, dst, sport, dport);
    const mask = this.mask;
    for (let s = this.kHash & mask; this.opener[s] !== 0; s = (s + 1) & mask) {
      if (
        this.ipA[s] === this.kA &&
        this.ipB[s] === this.kB &&
        this.ports[s] === this.kPorts &&
        this.proto[s] === this.kProto
      )
        return !this.stale(s, now);
    }
    return false;
  }
}
