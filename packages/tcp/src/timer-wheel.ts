// A hashed timer wheel (Varghese & Lauck; Linux's timer wheel is one): a fixed ring of slots
// of 1 ms ticks, each a doubly-linked list of timers threaded through preallocated arrays. A
// timer is an integer the owner chooses (connection slot * kinds + kind), so scheduling,
// cancelling and firing allocate nothing. A timer further away than the ring stays in its slot
// and is skipped until its tick comes round.

export interface TimerHandler {
  onTimer(timer: number, nowMs: number): void;
}

const IDLE = 0;
const SCHEDULED = 1;
const DUE = 2;

export class TimerWheel {
  private readonly slots: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly expire: Float64Array;
  private readonly state: Uint8Array;
  private readonly due: Int32Array;
  private readonly mask: number;
  /** The last tick advance() processed. */
  private lastTick = -1;
  /** Timers scheduled now. */
  size = 0;

  constructor(
    readonly capacity: number,
    slotCount = 1024,
  ) {
    if (slotCount & (slotCount - 1)) throw new Error(`timer wheel slots: ${slotCount} is not a power of two`);
    this.slots = new Int32Array(slotCount).fill(-1);
    this.mask = slotCount - 1;
    this.next = new Int32Array(capacity).fill(-1);
    this.prev = new Int32Array(capacity).fill(-1);
    this.expire = new Float64Array(capacity);
    this.state = new Uint8Array(capacity);
    this.due = new Int32Array(capacity);
  }

  /** Arms `timer` to fire at tick `atMs` (re-arming moves it). */
  schedule(timer: number, atMs: number): void {
    if (this.state[timer] !== IDLE) this.cancel(timer);
    // never behind the last processed tick: such a timer would wait a whole turn of the ring
    const at = Math.max(Math.ceil(atMs), this.lastTick + 1);
    const s = at & this.mask;
    this.expire[timer] = at;
    this.state[timer] = SCHEDULED;
    const head = this.slots[s];
    this.next[timer] = head;
    this.prev[timer] = -1;
    if (head >= 0) this.prev[head] = timer;
    this.slots[s] = timer;
    this.size++;
  }

  cancel(timer: number): void {
    const st = this.state[timer];
    if (st === IDLE) return;
    this.state[timer] = IDLE;
    if (st === DUE) return; // already unlinked, waiting in the due list
    this.unlink(timer);
  }

  armed(timer: number): boolean {
    return this.state[timer] !== IDLE;
  }

  expiresAt(timer: number): number {
    return this.expire[timer];
  }

  private unlink(timer: number): void {
    const n = this.next[timer];
    const p = this.prev[timer];
    if (p >= 0) this.next[p] = n;
    else this.slots[this.expire[timer] & this.mask] = n;
    if (n >= 0) this.prev[n] = p;
    this.next[timer] = -1;
    this.prev[timer] = -1;
    this.size--;
  }

  /**
   * Fires every timer due at or before `nowMs`, in no particular order within a tick. Due timers
   * are unlinked first and fired after, so a handler may schedule or cancel any timer.
   */
  advance(nowMs: number, handler: TimerHandler): void {
    const now = Math.floor(nowMs);
    if (now <= this.lastTick) return;
    if (this.size === 0) {
      this.lastTick = now;
      return;
    }
    // the first advance does not know where time started: it looks at every slot
    const span = this.lastTick < 0 ? this.mask + 1 : Math.min(now - this.lastTick, this.mask + 1);
    let nDue = 0;
    for (let k = 1; k <= span; k++) {
      const s = (this.lastTick + k) & this.mask;
      let t = this.slots[s];
      while (t >= 0) {
        const n = this.next[t];
        if (this.expire[t] <= now) {
          this.unlink(t);
          this.state[t] = DUE;
          this.due[nDue++] = t;
        }
        t = n;
      }
    }
    this.lastTick = now;
    for (let i = 0; i < nDue; i++) {
      const t = this.due[i];
      if (this.state[t] !== DUE) continue; // cancelled by an earlier handler
      this.state[t] = IDLE;
      handler.onTimer(t, now);
    }
  }
}
