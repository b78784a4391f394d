// Socket objects (Linux's struct file + struct socket + struct sock, one object here because a
// socket's file is one-to-one with it) and their bounded pool. A socket is allocated when TCP
// completes a handshake (the sock exists, and takes data, before the application accepts it) and
// gets its fd at accept4; close returns it to the pool. Nothing is allocated per connection: every
// socket and its receive buffer come from one slab made at start.
//
// Toward TCP: a listen socket's accept queue is filled with pushAccepted(conn); a connected
// socket takes in-order bytes with receive(), the peer's FIN with peerClosed(), a reset with
// reset(). Each change wakes the epoll instances watching the socket (ep_poll_callback).

import type { EpItem } from './epoll';
import { EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from './epoll';

export const SocketKind = { Free: 0, Listen: 1, Connected: 2 } as const;
export type SocketKind = (typeof SocketKind)[keyof typeof SocketKind];

export class Socket {
  kind: SocketKind = SocketKind.Free as SocketKind;
  /** Installed fd, -1 before accept4 (or after close). */
  fd = -1;
  /** TCP's connection id (connected sockets). */
  conn = 0;
  /** Bumped at each reuse, so a stale handle is recognisable. */
  generation = 0;
  // receive buffer: a ring over this socket's part of the slab
  private rcvHead = 0;
  rcvLen = 0;
  /** FIN received: once the buffer is drained, read returns 0. */
  peerFin = false;
  /** Connection reset: read returns ECONNRESET. */
  isReset = false;
  /** Whether TCP's send buffer has room (EPOLLOUT). */
  writable = true;
  // accept queue of a listen socket (sockets whose handshake completed, not yet accepted)
  private acceptQ: (Socket | null)[] = [];
  private acceptHead = 0;
  acceptLen = 0;
  /** Epoll items watching this socket (ep_poll_callback walks them). */
  readonly watchers: EpItem[] = [];

  constructor(
    readonly pool: SocketPool,
    readonly index: number,
    readonly rcvBuf: Buffer,
  ) {}

  get backlog(): number {
    return this.acceptQ.length;
  }

  /** The socket's readiness as epoll sees it (the file's ->poll). */
  poll(): number {
    if (this.kind === SocketKind.Listen) return this.acceptLen > 0 ? EPOLLIN : 0;
    if (this.kind !== SocketKind.Connected) return 0;
    if (this.isReset) return EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP;
    let m = 0;
    if (this.rcvLen > 0 || this.peerFin) m |= EPOLLIN;
    if (this.peerFin) m |= EPOLLRDHUP;
    if (this.writable) m |= EPOLLOUT;
    return m;
  }

  // --- TCP side ---

  /**
   * A connection of this listen socket completed its handshake: queues a new connected socket
   * for accept4 and returns it (TCP appends the connection's data to it from now on); null when
   * the accept queue is full or the socket pool is exhausted.
   */
  pushAccepted(conn: number): Socket | null {
    if (this.kind !== SocketKind.Listen || this.acceptLen >= this.acceptQ.length) return null;
    const s = this.pool.get(SocketKind.Connected);
    if (s === null) return null;
    s.conn = conn;
    this.acceptQ[(this.acceptHead + this.acceptLen) % this.acceptQ.length] = s;
    this.acceptLen++;
    this.wake();
    return s;
  }

  /**
   * In-order bytes from TCP: copied into the receive buffer; returns how many fitted. This is the
   * copy that takes the bytes out of the frame (Linux queues the skb itself; a frame's slot here
   * goes back with its batch), so the TCP glue bills it to `copy` once, as copyRingToKernel in
   * services/kernel-path/src/copies.ts does, and copies the bytes nowhere else on the way.
   */
  receive(src: Buffer, off: number, len: number): number {
    if (this.kind !== SocketKind.Connected || this.peerFin || this.isReset) return 0;
    const cap = this.rcvBuf.length;
    const n = Math.min(len, cap - this.rcvLen);
    if (n <= 0) return 0;
    let tail = this.rcvHead + this.rcvLen;
    if (tail >= cap) tail -= cap;
    const first = Math.min(n, cap - tail);
    src.copy(this.rcvBuf, tail, off, off + first);
    if (first < n) src.copy(this.rcvBuf, 0, off + first, off + n);
    this.rcvLen += n;
    this.wake();
    return n;
  }

  /** Free room in the receive buffer (what TCP may advertise as its window). */
  get rcvSpace(): number {
    return this.rcvBuf.length - this.rcvLen;
  }

  /** The peer's FIN. */
  peerClosed(): void {
    if (this.kind !== SocketKind.Connected || this.peerFin) return;
    this.peerFin = true;
    this.wake();
  }

  /** The connection was reset (RST or retries exhausted). */
  reset(): void {
    if (this.kind !== SocketKind.Connected || this.isReset) return;
    this.isReset = true;
    this.wake();
  }

  /** TCP's send buffer filled (false) or drained (true). */
  setWritable(w: boolean): void {
    if (this.writable === w) return;
    this.writable = w;
    if (w) this.wake();
  }

  // --- socket layer side ---

  /** Takes the oldest accepted socket, or null. */
  shiftAccepted(): Socket | null {
    if (this.acceptLen === 0) return null;
    const s = this.acceptQ[this.acceptHead];
    this.acceptQ[this.acceptHead] = null;
    this.acceptHead = (this.acceptHead + 1) % this.acceptQ.length;
    this.acceptLen--;
    return s;
  }

  /** Copies up to `len` buffered bytes into `dst` at `off` (copy_to_user); returns the count. */
  copyOut(dst: Buffer, off: number, len: number): number {
    const cap = this.rcvBuf.length;
    const n = Math.min(len, this.rcvLen);
    const first = Math.min(n, cap - this.rcvHead);
    this.rcvBuf.copy(dst, off, this.rcvHead, this.rcvHead + first);
    if (first < n) this.rcvBuf.copy(dst, off + first, 0, n - first);
    this.rcvHead += n;
    if (this.rcvHead >= cap) this.rcvHead -= cap;
    this.rcvLen -= n;
    return n;
  }

  /** Resets the socket for reuse as `kind`. */
  init(kind: SocketKind, backlog = 0): void {
    this.kind = kind;
    this.fd = -1;
    this.conn = 0;
    this.generation++;
    this.rcvHead = 0;
    this.rcvLen = 0;
    this.peerFin = false;
    this.isReset = false;
    this.writable = true;
    if (this.acceptQ.length !== backlog) this.acceptQ = new Array<Socket | null>(backlog).fill(null);
    this.acceptHead = 0;
    this.acceptLen = 0;
    this.watchers.length = 0;
  }

  private wake(): void {
    const w = this.watchers;
    for (let k = 0; k < w.length; k++) w[k].epoll.wake(w[k]);
  }
}

/** The bounded pool of sockets, each with its receive buffer cut from one slab. */
export class SocketPool {
  private readonly all: Socket[];
  private readonly free: Socket[];
  inUse = 0;
  /** Allocations refused because every socket was in use (ENFILE). */
  exhausted = 0;

  constructor(
    readonly size: number,
    readonly rcvBufBytes: number,
  ) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`socket pool: size ${size} must be a positive integer`);
    if (!Number.isInteger(rcvBufBytes) || rcvBufBytes < 1)
      throw new RangeError(`socket pool: rcvBufBytes ${rcvBufBytes} must be a positive integer`);
    const slab = Buffer.alloc(size * rcvBufBytes);
    this.all = [];
    for (let k = 0; k < size; k++)
      this.all.push(new Socket(this, k, slab.subarray(k * rcvBufBytes, (k + 1) * rcvBufBytes)));
    // popped from the end: socket 0 first
    this.free = this.all.slice().reverse();
  }

  get(kind: SocketKind, backlog = 0): Socket | null {
    const s = this.free.pop();
    if (s === undefined) {
      this.exhausted++;
      return null;
    }
    s.init(kind, backlog);
    this.inUse++;
    return s;
  }

  put(s: Socket): void {
    if (s.kind === SocketKind.Free) return;
    // connections accepted by TCP but never by the application go with their listen socket
    for (let a = s.shiftAccepted(); a !== null; a = s.shiftAccepted()) this.put(a);
    s.kind = SocketKind.Free;
    s.fd = -1;
    s.watchers.length = 0;
    this.free.push(s);
    this.inUse--;
  }
}
