// An epoll instance as Linux's fs/eventpoll.c keeps it, level-triggered as lighttpd uses it: an
// interest list keyed by fd (one preallocated item per possible fd, so epoll_ctl allocates
// nothing) and a ready list that sockets put their items on when their state changes
// (ep_poll_callback). An item is on the ready list at most once (its `ready` flag). epoll_wait
// takes items off the list, asks each socket for its current readiness, reports the ones still
// ready and, being level-triggered, puts them back at the tail (ep_send_events), so a socket
// stays reported until the application has drained it; an item found no longer ready leaves.

import type { Socket } from './socket';

export const EPOLLIN = 0x001;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
export const EPOLLRDHUP = 0x2000;
/** Always reported, whether asked for or not (epoll_ctl(2)). */
const ALWAYS = EPOLLERR | EPOLLHUP;

export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;

export class EpItem {
  sock: Socket | null = null;
  events = 0;
  /** On the ready list (never twice). */
  ready = false;
  constructor(
    readonly epoll: Epoll,
    readonly fd: number,
  ) {}
}

/** Where epoll_wait writes what it reports (struct epoll_event[]), preallocated by the caller. */
export class EpollEvents {
  readonly fds: Int32Array;
  readonly events: Uint32Array;
  constructor(readonly max: number) {
    this.fds = new Int32Array(max);
    this.events = new Uint32Array(max);
  }
}

export class Epoll {
  private readonly items: EpItem[];
  // the ready list: a ring of items, each at most once, so it never holds more than maxFds
  private readonly rdl: (EpItem | null)[];
  private rdHead = 0;
  rdLen = 0;
  /** Items in the interest list. */
  watched = 0;
  /** Items a poll found no longer ready and took off the ready list. */
  staleReady = 0;

  constructor(readonly maxFds: number) {
    this.items = Array.from({ length: maxFds }, (_, fd) => new EpItem(this, fd));
    this.rdl = new Array<EpItem | null>(maxFds).fill(null);
  }

  /** EPOLL_CTL_ADD; false when `fd` is already watched. */
  add(fd: number, sock: Socket, events: number): boolean {
    const it = this.items[fd];
    if (it.sock !== null) return false;
    it.sock = sock;
    it.events = events;
    sock.watchers.push(it);
    this.watched++;
    // a socket already ready is reported at once (ep_insert polls it)
    if (sock.poll() & (events | ALWAYS)) this.wake(it);
    return true;
  }

  /** EPOLL_CTL_MOD; false when `fd` is not watched. */
  modify(fd: number, events: number): boolean {
    const it = this.items[fd];
    if (it.sock === null) return false;
    it.events = events;
    if (it.sock.poll() & (events | ALWAYS)) this.wake(it);
    return true;
  }

  /** EPOLL_CTL_DEL (and close of a watched fd); false when `fd` is not watched. */
  remove(fd: number): boolean {
    const it = this.items[fd];
    const sock = it.sock;
    if (sock === null) return false;
    const w = sock.watchers;
    const at = w.indexOf(it);
    if (at >= 0) {
      w[at] = w[w.length - 1];
      w.pop();
    }
    if (it.ready) this.unlink(it);
    it.sock = null;
    it.events = 0;
    this.watched--;
    return true;
  }

  isWatched(fd: number): boolean {
    return fd >= 0 && fd < this.maxFds && this.items[fd].sock !== null;
  }

  /** ep_poll_callback: the item's socket changed; queue it once if it has something asked for. */
  wake(it: EpItem): void {
    if (it.ready || it.sock === null) return;
    if ((it.sock.poll() & (it.events | ALWAYS)) === 0) return;
    it.ready = true;
    let tail = this.rdHead + this.rdLen;
    if (tail >= this.rdl.length) tail -= this.rdl.length;
    this.rdl[tail] = it;
    this.rdLen++;
  }

  /**
   * ep_send_events: reports up to out.max ready items into `out` and returns how many. Each item
   * on the list is polled once; one still ready is reported and goes back to the tail.
   */
  collect(out: EpollEvents): number {
    let n = 0;
    const cap = this.rdl.length;
    for (let left = this.rdLen; left > 0 && n < out.max; left--) {
      const it = this.rdl[this.rdHead] as EpItem;
      this.rdl[this.rdHead] = null;
      if (++this.rdHead >= cap) this.rdHead = 0;
      this.rdLen--;
      const revents = (it.sock as Socket).poll() & (it.events | ALWAYS);
      if (revents === 0) {
        it.ready = false;
        this.staleReady++;
        continue;
      }
      out.fds[n] = it.fd;
      out.events[n] = revents;
      n++;
      // level-triggered: back on the list until a poll finds it drained
      let tail = this.rdHead + this.rdLen;
      if (tail >= cap) tail -= cap;
      this.rdl[tail] = it;
      this.rdLen++;
    }
    return n;
  }

  /** The fds on the ready list in order (tests, describe). */
  readyFds(): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.rdLen; k++) out.push((this.rdl[(this.rdHead + k) % this.rdl.length] as EpItem).fd);
    return out;
  }

  /** Takes an item out of the middle of the ready list (EPOLL_CTL_DEL, close: rare). */
  private unlink(it: EpItem): void {
    const cap = this.rdl.length;
    // read and write positions step round the ring with a compare, not a division per item
    let r = this.rdHead;
    let w = this.rdHead;
    let kept = 0;
    for (let k = 0; k < this.rdLen; k++) {
      const e = this.rdl[r];
      if (++r === cap) r = 0;
      if (e !== it) {
        this.rdl[w] = e;
        if (++w === cap) w = 0;
        kept++;
      }
    }
    this.rdl[w] = null;
    this.rdLen = kept;
    it.ready = false;
  }
}
