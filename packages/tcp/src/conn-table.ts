// Connections by 4-tuple: open addressing with linear probing over an index twice the table's
// size, deletions by backward shift (no tombstones), TCBs preallocated. A connection id is the
// slot index in the low bits and the slot's generation above, so an id kept after its
// connection was freed no longer matches (the slot's generation moved on).

import { Tcb } from './tcb';

export class ConnTable {
  readonly tcbs: Tcb[];
  private readonly index: Int32Array;
  private readonly indexMask: number;
  private readonly slotBits: number;
  private readonly slotMask: number;
  private readonly genMask: number;
  private readonly gen: Uint32Array;
  private readonly freeStack: Int32Array;
  private freeTop: number;

  constructor(readonly capacity: number) {
    this.tcbs = Array.from({ length: capacity }, () => new Tcb());
    let size = 2;
    while (size < capacity * 2) size *= 2;
    this.index = new Int32Array(size).fill(-1);
    this.indexMask = size - 1;
    this.slotBits = Math.max(1, Math.ceil(Math.log2(capacity)));
    this.slotMask = 2 ** this.slotBits - 1;
    this.genMask = 2 ** (32 - this.slotBits) - 1;
    this.gen = new Uint32Array(capacity);
    this.freeStack = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.freeStack[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  get used(): number {
    return this.capacity - this.freeTop;
  }

  private hash(localIp: number, localPort: number, remoteIp: number, remotePort: number): number {
    let h = Math.imul(remoteIp ^ 0x9e3779b9, 0x85ebca6b);
    h ^= Math.imul(localIp, 0xc2b2ae35);
    h ^= Math.imul((localPort << 16) | remotePort, 0x27d4eb2f);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 13;
    return h & this.indexMask;
  }

  /** The connection for this 4-tuple, or null. */
  lookup(localIp: number, localPort: number, remoteIp: number, remotePort: number): Tcb | null {
    let i = this.hash(localIp, localPort, remoteIp, remotePort);
    for (;;) {
      const s = this.index[i];
      if (s < 0) return null;
      const t = this.tcbs[s];
      if (t.remotePort === remotePort && t.localPort === localPort && t.remoteIp === remoteIp && t.localIp === localIp)
        return t;
      i = (i + 1) & this.indexMask;
    }
  }

  /** The live connection with this id, or null for a stale or unknown id. */
  get(id: number): Tcb | null {
    if (!Number.isInteger(id) || id < 0) return null;
    const t = this.tcbs[id & this.slotMask];
    return t !== undefined && t.inUse && t.id === id ? t : null;
  }

  /** A fresh TCB for the 4-tuple (the caller checked it is not present), or null when full. */
  insert(localIp: number, localPort: number, remoteIp: number, remotePort: number): Tcb | null {
    if (this.freeTop === 0) return null;
    const slot = this.freeStack[--this.freeTop];
    const t = this.tcbs[slot];
    const g = (this.gen[slot] + 1) & this.genMask;
    this.gen[slot] = g;
    t.id = (g * 2 ** this.slotBits + slot) >>> 0;
    t.inUse = true;
    t.localIp = localIp;
    t.localPort = localPort;
    t.remoteIp = remoteIp;
    t.remotePort = remotePort;
    let i = this.hash(localIp, localPort, remoteIp, remotePort);
    while (this.index[i] >= 0) i = (i + 1) & this.indexMask;
    this.index[i] = slot;
    return t;
  }

  /** Frees the TCB's slot; its id goes stale. */
  remove(t: Tcb): void {
    const slot = t.id & this.slotMask;
    let i = this.hash(t.localIp, t.localPort, t.remoteIp, t.remotePort);
    while (this.index[i] !== slot) {
      if (this.index[i] < 0) throw new Error('conn-table: removing a connection that is not indexed');
      i = (i + 1) & this.indexMask;
    }
    // backward shift: move later members of the probe run into the hole when their home
    // position does not lie cyclically in (hole, j]
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & this.indexMask;
      const s = this.index[j];
      if (s < 0) break;
      const u = this.tcbs[s];
      const home = this.hash(u.localIp, u.localPort, u.remoteIp, u.remotePort);
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        this.index[hole] = s;
        hole = j;
      }
    }
    this.index[hole] = -1;
    t.inUse = false;
    this.freeStack[this.freeTop++] = slot;
  }

  /** The slot index of a live TCB (for per-connection arrays such as timers). */
  slotOf(t: Tcb): number {
    return t.id & this.slotMask;
  }
}
