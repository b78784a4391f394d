// The server's system calls over sockets and epoll: accept4, epoll_ctl, epoll_wait, read, writev
// and close, each doing its real work (the fd search, the ready-list walk, Buffer.copy between
// the kernel's socket buffers and the user's buffers). Each call is counted (event `syscall`) and
// spends the profile's `syscall` cost, billed to `syscall`; the copies are billed to `copy`.
//
// The thread sleeps only in epoll_wait: a call that finds nothing ready blocks, and the same call
// returns once something is ready, so it is counted once; the wake-up costs one context switch
// (`context_switch` cost and event), billed when the thread runs again. A busy server whose
// epoll_wait always finds work never switches (mTCP §3.2: that switch is ~19x a null call).
//
// `billSyscalls: false` is a user-space stack (mTCP): the same calls are library calls that do
// the same work, with no mode switch and no context switch; their work is then TCP-stack work
// (`protocol`), as services/kernel-path/src/syscall.ts bills reading the queues with syscall none.
//
// Setup before traffic (socket+bind+listen, epoll_create1) is not billed. The caller must not
// wrap these calls in a CPU measurement of its own: each call bills its time itself.

import * as core from '@vnflab/core';
import type { Costs, StageStats } from '@vnflab/core';
import { Ev } from '../events';
import { Epoll, EpollEvents, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } from './epoll';
import { EAGAIN, EBADF, ECONNRESET, EEXIST, EINVAL, EMFILE, ENFILE, ENOENT, ENOTSOCK, EPIPE } from './errno';
import { FdTable } from './fd-table';
import { Socket, SocketKind, SocketPool } from './socket';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { Cat } = core;

/**
 * The TCP side of a connected socket, implemented by the TCP glue. writev and close stop their
 * own measurement around these calls: TCP's work (segments, checksums, their sk_buffs) is billed
 * by the implementation where it happens (protocol, alloc), not as the system call's.
 */
export interface TcpSendPath {
  /**
   * Queues `len` bytes of `buf` from `off` for sending; returns how many it took. It must take
   * them before returning: `buf` is the socket layer's send buffer, reused by the next writev.
   */
  send(conn: number, buf: Buffer, off: number, len: number): number;
  /** The application closed the socket: send FIN. */
  close(conn: number): void;
}

export interface SyscallContext {
  readonly stats: StageStats;
  readonly costs: Costs;
}

export interface SocketLayerOptions {
  /** RLIMIT_NOFILE (default 1024). */
  maxFds?: number;
  /** fds taken at start, from 0 (default 3: stdin, stdout, stderr). */
  reservedFds?: number;
  /** Sockets that may exist at once, accepted or waiting in an accept queue (default maxFds). */
  maxSockets?: number;
  /** Receive buffer per socket (default 16384). */
  rcvBufBytes?: number;
  /** The kernel buffer writev copies into before TCP takes it (default 65536). */
  sndBufBytes?: number;
  /** false: a user-space stack, no mode or context switches billed (default true). */
  billSyscalls?: boolean;
}

export type OpenFile = Socket | Epoll;

export class SocketLayer {
  readonly fds: FdTable<OpenFile>;
  readonly pool: SocketPool;
  readonly billSyscalls: boolean;
  /** Calls made (billed or not). */
  calls = 0;
  sleeps = 0;
  contextSwitches = 0;
  bytesCopied = 0;
  /** accept4 refused for want of an fd (EMFILE) or a socket (ENFILE). */
  emfile = 0;
  enfile = 0;
  private asleep = false;
  private readonly sndBuf: Buffer;
  private readonly workCat: number;

  constructor(
    private ctx: SyscallContext,
    private readonly tcp: TcpSendPath,
    opts: SocketLayerOptions = {},
  ) {
    const maxFds = opts.maxFds ?? 1024;
    this.fds = new FdTable<OpenFile>(maxFds, opts.reservedFds ?? 3);
    this.pool = new SocketPool(opts.maxSockets ?? maxFds, opts.rcvBufBytes ?? 16384);
    this.sndBuf = Buffer.alloc(opts.sndBufBytes ?? 65536);
    this.billSyscalls = opts.billSyscalls ?? true;
    this.workCat = this.billSyscalls ? Cat.syscall : Cat.protocol;
  }

  /** The stage's stats and costs, when the host hands a new context. */
  useContext(ctx: SyscallContext): void {
    this.ctx = ctx;
  }

  get sleeping(): boolean {
    return this.asleep;
  }

  // --- setup, not billed ---

  /** socket + bind + listen: a listen socket with an accept queue of `backlog`; fd or -errno. */
  listen(backlog: number): number {
    if (!Number.isInteger(backlog) || backlog < 1) return EINVAL;
    const s = this.pool.get(SocketKind.Listen, backlog);
    if (s === null) return ENFILE;
    const fd = this.fds.alloc(s);
    if (fd < 0) {
      this.pool.put(s);
      return EMFILE;
    }
    s.fd = fd;
    return fd;
  }

  /** epoll_create1: fd or -errno. */
  epollCreate(): number {
    const ep = new Epoll(this.fds.maxFds);
    const fd = this.fds.alloc(ep);
    return fd < 0 ? EMFILE : fd;
  }

  /** The socket behind `fd` (the TCP glue and tests), or null. */
  socket(fd: number): Socket | null {
    const f = this.fds.get(fd);
    return f instanceof Socket ? f : null;
  }

  // --- the calls ---

  /** accept4(listenFd, NULL, NULL, SOCK_NONBLOCK): the new connection's fd, or -errno. */
  accept4(listenFd: number): number {
    const t = this.enter();
    const rc = this.doAccept(listenFd);
    this.leave(t);
    return rc;
  }

  /** epoll_ctl(epfd, op, fd, {events, data.fd = fd}): 0 or -errno. */
  epollCtl(epfd: number, op: number, fd: number, events: number): number {
    const t = this.enter();
    const rc = this.doCtl(epfd, op, fd, events);
    this.leave(t);
    return rc;
  }

  /**
   * epoll_wait(epfd, out, out.max, timeout): how many events it wrote into `out`, or -errno. With
   * nothing ready the thread sleeps; it stays in that call (returning 0 here, counting nothing)
   * until a call finds something ready, which costs the one context switch of its wake-up.
   */
  epollWait(epfd: number, out: EpollEvents): number {
    const cpu = this.ctx.stats.cpu;
    const ep = this.fds.get(epfd);
    if (this.asleep) {
      // still inside the blocked call: look whether it has been woken
      const t = cpu.begin();
      const n = ep instanceof Epoll ? ep.collect(out) : EBADF;
      if (n > 0) this.wakeUp();
      cpu.end(this.workCat, t);
      return n;
    }
    const t = this.enter();
    let n: number;
    if (!(ep instanceof Epoll)) n = EBADF;
    else {
      n = ep.collect(out);
      if (n === 0) {
        this.asleep = true;
        this.sleeps++;
      }
    }
    this.leave(t);
    return n;
  }

  /** read(fd, dst + off, len): bytes copied, 0 at end of stream, or -errno (EAGAIN: nothing yet). */
  read(fd: number, dst: Buffer, off: number, len: number): number {
    let t = this.enter();
    const s = this.fds.get(fd);
    let rc: number;
    if (!(s instanceof Socket)) rc = s === null ? EBADF : EINVAL;
    else if (s.kind !== SocketKind.Connected || len < 0 || off < 0 || off + len > dst.length) rc = EINVAL;
    else if (s.isReset) rc = ECONNRESET;
    else if (s.rcvLen > 0 && len > 0) {
      const cpu = this.ctx.stats.cpu;
      t = cpu.end(this.workCat, t);
      rc = s.copyOut(dst, off, len);
      this.copied(rc);
      t = cpu.end(Cat.copy, t);
    } else if (s.peerFin || len === 0) rc = 0;
    else rc = EAGAIN;
    this.leave(t);
    return rc;
  }

  /**
   * writev(fd, iov, iovcnt): copies the buffers into the kernel's send buffer and hands them to
   * TCP; returns the bytes TCP took, or -errno (EAGAIN when it took none).
   */
  writev(fd: number, iov: readonly Buffer[], iovcnt = iov.length): number {
    let t = this.enter();
    const s = this.fds.get(fd);
    let rc: number;
    if (!(s instanceof Socket)) rc = s === null ? EBADF : EINVAL;
    else if (s.kind !== SocketKind.Connected || iovcnt < 0 || iovcnt > iov.length) rc = EINVAL;
    else if (s.isReset) rc = EPIPE;
    else {
      const cpu = this.ctx.stats.cpu;
      t = cpu.end(this.workCat, t);
      // copy_from_user into the send buffer, as much as it holds
      const cap = this.sndBuf.length;
      let n = 0;
      for (let k = 0; k < iovcnt && n < cap; k++) {
        const b = iov[k];
        const take = Math.min(b.length, cap - n);
        b.copy(this.sndBuf, n, 0, take);
        n += take;
        this.copied(take);
      }
      t = cpu.end(Cat.copy, t);
      let total = 0;
      for (let k = 0; k < iovcnt; k++) total += iov[k].length;
      t = cpu.end(this.workCat, t);
      // TCP's segmentation and transmission bill themselves (TcpSendPath)
      const took = n > 0 ? this.tcp.send(s.conn, this.sndBuf, 0, n) : 0;
      t = cpu.begin();
      if (took < total) s.setWritable(false);
      rc = took > 0 || total === 0 ? took : EAGAIN;
    }
    this.leave(t);
    return rc;
  }

  /** close(fd): 0 or -errno. A connected socket's close sends FIN; a watched fd leaves its epolls. */
  close(fd: number): number {
    const t = this.enter();
    const f = this.fds.free(fd);
    let rc = 0;
    if (f === null) rc = EBADF;
    else if (f instanceof Epoll) {
      for (let w = 0; w < f.maxFds; w++) f.remove(w);
    } else {
      while (f.watchers.length > 0) {
        const it = f.watchers[f.watchers.length - 1];
        it.epoll.remove(it.fd);
      }
      // TCP's FIN (or the never-accepted connections' FINs) bills itself (TcpSendPath)
      const cpu = this.ctx.stats.cpu;
      cpu.end(this.workCat, t);
      if (f.kind === SocketKind.Connected) {
        if (!f.isReset) this.tcp.close(f.conn);
      } else {
        // connections TCP completed that the application never accepted
        for (let a = f.shiftAccepted(); a !== null; a = f.shiftAccepted()) {
          this.tcp.close(a.conn);
          this.pool.put(a);
        }
      }
      const t2 = cpu.begin();
      this.pool.put(f);
      this.leave(t2);
      return rc;
    }
    this.leave(t);
    return rc;
  }

  private doAccept(listenFd: number): number {
    const l = this.fds.get(listenFd);
    if (l === null) return EBADF;
    if (!(l instanceof Socket)) return ENOTSOCK;
    if (l.kind !== SocketKind.Listen) return EINVAL;
    // as __sys_accept4: the fd first (the lowest free one, searched even when nothing waits),
    // then the connection
    const fd = this.fds.reserve();
    if (fd < 0) {
      this.emfile++;
      return EMFILE;
    }
    const s = l.shiftAccepted();
    if (s === null) {
      this.fds.unreserve(fd);
      return EAGAIN;
    }
    this.fds.install(fd, s);
    s.fd = fd;
    return fd;
  }

  private doCtl(epfd: number, op: number, fd: number, events: number): number {
    const ep = this.fds.get(epfd);
    if (ep === null) return EBADF;
    if (!(ep instanceof Epoll) || fd === epfd) return EINVAL;
    const s = this.fds.get(fd);
    if (s === null) return EBADF;
    if (!(s instanceof Socket)) return EINVAL;
    switch (op) {
      case EPOLL_CTL_ADD:
        return ep.add(fd, s, events >>> 0) ? 0 : EEXIST;
      case EPOLL_CTL_MOD:
        return ep.modify(fd, events >>> 0) ? 0 : ENOENT;
      case EPOLL_CTL_DEL:
        return ep.remove(fd) ? 0 : ENOENT;
      default:
        return EINVAL;
    }
  }

  /** Entry of a call: counted, and the mode switch spent when billed. */
  private enter(): number {
    const t = this.ctx.stats.cpu.begin();
    this.calls++;
    // a thread asleep in epoll_wait that makes another call was woken first
    if (this.asleep) this.wakeUp();
    if (this.billSyscalls) {
      this.ctx.stats.event(Ev.syscall, 1);
      this.ctx.costs.spend('syscall', 1);
    }
    return t;
  }

  private leave(t: number): void {
    this.ctx.stats.cpu.end(this.workCat, t);
  }

  /** The sleeping thread runs again: one context switch. */
  private wakeUp(): void {
    this.asleep = false;
    if (!this.billSyscalls) return;
    this.contextSwitches++;
    this.ctx.stats.event(Ev.context_switch, 1);
    this.ctx.costs.spend('context_switch', 1);
  }

  private copied(n: number): void {
    this.bytesCopied += n;
    this.ctx.stats.event(Ev.copy, 1);
  }
}
