// The socket layer (src/sockets): lowest-free fds, bounded pools, level-triggered epoll, and the
// calls' exact counts of system calls, copied bytes and context switches.

import { Cat, Costs, StageStats, loadProfile } from '@vnflab/core';
import {
  EAGAIN,
  EMFILE,
  ENFILE,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EpollEvents,
  FdTable,
  SocketLayer,
  type Socket,
  type SocketLayerOptions,
  type TcpSendPath,
} from '../src/sockets';

class FakeTcp implements TcpSendPath {
  sent: Buffer[] = [];
  closed: number[] = [];
  /** bytes send() takes per call at most */
  room = Infinity;
  send(conn: number, buf: Buffer, off: number, len: number): number {
    const n = Math.min(len, this.room);
    this.sent.push(Buffer.from(buf.subarray(off, off + n)));
    return n;
  }
  close(conn: number): void {
    this.closed.push(conn);
  }
}

function setup(opts: SocketLayerOptions = {}, profile = 'zero') {
  const ctx = { stats: new StageStats('kernel-path', 'kernel'), costs: new Costs(loadProfile(profile)) };
  const tcp = new FakeTcp();
  const sl = new SocketLayer(ctx, tcp, { maxFds: 64, rcvBufBytes: 256, ...opts });
  const lfd = sl.listen(16);
  const epfd = sl.epollCreate();
  const listen = sl.socket(lfd) as Socket;
  const ev = () => ctx.stats.eventsByName();
  return { ctx, tcp, sl, lfd, epfd, listen, ev };
}

/** TCP completes `n` handshakes and the application accepts them: their fds. */
function acceptN(sl: SocketLayer, listen: Socket, lfd: number, n: number, conn0 = 100): number[] {
  const fds: number[] = [];
  for (let k = 0; k < n; k++) {
    expect(listen.pushAccepted(conn0 + k)).not.toBeNull();
    fds.push(sl.accept4(lfd));
  }
  return fds;
}

describe('fd table', () => {
  test('lowest free fd: close 5 then 3, the next accept gets 3, then 5, then the next new one', () => {
    // no reserved fds: the listen socket is 0, the epoll 1, connections from 2
    const { sl, listen, lfd } = setup({ reservedFds: 0 });
    expect(acceptN(sl, listen, lfd, 6)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(sl.close(5)).toBe(0);
    expect(sl.close(3)).toBe(0);
    expect(acceptN(sl, listen, lfd, 3)).toEqual([3, 5, 8]);
  });

  test('the search is real: bitmap words scanned grow past a full word', () => {
    const t = new FdTable<object>(100, 0);
    for (let k = 0; k < 70; k++) expect(t.alloc({})).toBe(k);
    const before = t.wordsScanned;
    t.free(10);
    t.free(40);
    expect(t.alloc({})).toBe(10);
    // from 11 the search reads word 0 (full), then word 1, where 40 is free
    expect(t.alloc({})).toBe(40);
    expect(t.wordsScanned - before).toBe(1 + 2);
    expect(t.alloc({})).toBe(70);
  });

  test('fd exhaustion is a counted EMFILE, the connection stays queued', () => {
    const { sl, listen, lfd } = setup({ maxFds: 8 });
    // fds 0..2 reserved, 3 listen, 4 epoll: three left
    expect(acceptN(sl, listen, lfd, 3)).toEqual([5, 6, 7]);
    expect(listen.pushAccepted(999)).not.toBeNull();
    expect(sl.accept4(lfd)).toBe(EMFILE);
    expect(sl.accept4(lfd)).toBe(EMFILE);
    expect(sl.emfile).toBe(2);
    expect(listen.acceptLen).toBe(1);
    sl.close(6);
    expect(sl.accept4(lfd)).toBe(6);
    expect(sl.socket(6)?.conn).toBe(999);
  });

  test('accept4 with nothing queued is EAGAIN: the fd searched for is handed back', () => {
    const { sl, listen, lfd } = setup();
    const before = sl.fds.wordsScanned;
    expect(sl.accept4(lfd)).toBe(EAGAIN);
    expect(sl.fds.wordsScanned - before).toBe(1); // as Linux, the search comes first
    expect(sl.fds.open).toBe(5); // 0..2, listen, epoll
    expect(acceptN(sl, listen, lfd, 1)).toEqual([5]);
  });

  test('socket pool exhaustion refuses the connection (null) and counts it', () => {
    const { sl, listen, lfd } = setup({ maxSockets: 3 });
    // the listen socket holds one
    expect(acceptN(sl, listen, lfd, 2)).toEqual([5, 6]);
    expect(listen.pushAccepted(7)).toBeNull();
    expect(sl.pool.exhausted).toBe(1);
    expect(sl.listen(4)).toBe(ENFILE);
    sl.close(5);
    expect(listen.pushAccepted(7)).not.toBeNull();
  });

  test('accept queue full refuses the connection', () => {
    const { sl } = setup();
    const l = sl.socket(sl.listen(2)) as Socket;
    expect(l.pushAccepted(1)).not.toBeNull();
    expect(l.pushAccepted(2)).not.toBeNull();
    expect(l.pushAccepted(3)).toBeNull();
  });
});

describe('epoll', () => {
  test('level-triggered: a socket with unread bytes is reported at every wait until drained', () => {
    const { sl, listen, lfd, epfd } = setup();
    const [fd] = acceptN(sl, listen, lfd, 1);
    expect(sl.epollCtl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP)).toBe(0);
    const out = new EpollEvents(8);
    const s = sl.socket(fd) as Socket;
    s.receive(Buffer.from('hello world'), 0, 11);
    for (let k = 0; k < 3; k++) {
      expect(sl.epollWait(epfd, out)).toBe(1);
      expect([out.fds[0], out.events[0]]).toEqual([fd, EPOLLIN]);
    }
    const buf = Buffer.alloc(5);
    expect(sl.read(fd, buf, 0, 5)).toBe(5);
    expect(sl.epollWait(epfd, out)).toBe(1); // 6 bytes still there
    expect(sl.read(fd, Buffer.alloc(64), 0, 64)).toBe(6);
    expect(sl.epollWait(epfd, out)).toBe(0);
    expect(sl.read(fd, buf, 0, 5)).toBe(EAGAIN);
    // the FIN: readable (read returns 0) and RDHUP
    s.peerClosed();
    expect(sl.epollWait(epfd, out)).toBe(1);
    expect(out.events[0]).toBe(EPOLLIN | EPOLLRDHUP);
    expect(sl.read(fd, buf, 0, 5)).toBe(0);
  });

  test('the ready list holds each item once however many times its socket wakes it', () => {
    const { sl, listen, lfd, epfd } = setup();
    const fds = acceptN(sl, listen, lfd, 3);
    for (const fd of fds) sl.epollCtl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN);
    const ep = sl.fds.get(epfd) as import('../src/sockets').Epoll;
    const b = Buffer.from('x');
    for (let k = 0; k < 5; k++) for (const fd of [fds[1], fds[0], fds[1]]) sl.socket(fd)?.receive(b, 0, 1);
    expect(ep.readyFds()).toEqual([fds[1], fds[0]]);
    const out = new EpollEvents(8);
    expect(sl.epollWait(epfd, out)).toBe(2);
    expect(Array.from(out.fds.subarray(0, 2))).toEqual([fds[1], fds[0]]);
    // reported items went back once each
    sl.socket(fds[0])?.receive(b, 0, 1);
    expect(ep.readyFds()).toEqual([fds[1], fds[0]]);
    // maxevents 1: one reported, rotated to the tail, never duplicated
    const one = new EpollEvents(1);
    expect(sl.epollWait(epfd, one)).toBe(1);
    expect(one.fds[0]).toBe(fds[1]);
    expect(ep.readyFds()).toEqual([fds[0], fds[1]]);
    // DEL takes it off the ready list too
    expect(sl.epollCtl(epfd, EPOLL_CTL_DEL, fds[0], 0)).toBe(0);
    expect(ep.readyFds()).toEqual([fds[1]]);
  });

  test('a listen socket is readable while its accept queue holds connections; ADD reports what is already ready', () => {
    const { sl, listen, lfd, epfd } = setup();
    listen.pushAccepted(1);
    sl.epollCtl(epfd, EPOLL_CTL_ADD, lfd, EPOLLIN);
    const out = new EpollEvents(4);
    expect(sl.epollWait(epfd, out)).toBe(1);
    expect(out.fds[0]).toBe(lfd);
    sl.accept4(lfd);
    expect(sl.epollWait(epfd, out)).toBe(0);
  });

  test('EPOLLOUT follows TCP: a short write clears it, setWritable(true) brings it back', () => {
    const { sl, listen, lfd, epfd, tcp } = setup();
    const [fd] = acceptN(sl, listen, lfd, 1);
    sl.epollCtl(epfd, EPOLL_CTL_ADD, fd, EPOLLOUT);
    const out = new EpollEvents(4);
    expect(sl.epollWait(epfd, out)).toBe(1);
    tcp.room = 3;
    expect(sl.writev(fd, [Buffer.from('abcdef')])).toBe(3);
    expect(sl.epollWait(epfd, out)).toBe(0);
    sl.socket(fd)?.setWritable(true);
    expect(sl.epollWait(epfd, out)).toBe(1);
    expect(out.events[0]).toBe(EPOLLOUT);
  });

  test('close removes the fd from the interest and ready lists and sends FIN once', () => {
    const { sl, listen, lfd, epfd, tcp } = setup();
    const [fd] = acceptN(sl, listen, lfd, 1, 42);
    sl.epollCtl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN);
    sl.socket(fd)?.receive(Buffer.from('x'), 0, 1);
    expect(sl.close(fd)).toBe(0);
    expect(tcp.closed).toEqual([42]);
    expect(sl.epollWait(epfd, new EpollEvents(4))).toBe(0);
    expect(sl.close(fd)).toBe(-9);
    // the fd is free again and the epoll item reusable
    const [fd2] = acceptN(sl, listen, lfd, 1);
    expect(fd2).toBe(fd);
    expect(sl.epollCtl(epfd, EPOLL_CTL_ADD, fd2, EPOLLIN)).toBe(0);
  });
});

describe('calls: counts, copies, context switches', () => {
  test('each call is one syscall; read and writev copy exactly their bytes', () => {
    const { sl, listen, lfd, epfd, ev, tcp } = setup();
    listen.pushAccepted(7);
    const fd = sl.accept4(lfd);
    expect(ev().syscall).toBe(1);
    sl.epollCtl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN);
    expect(ev().syscall).toBe(2);
    const req = Buffer.from('GET / HTTP/1.1\r\n\r\n');
    (sl.socket(fd) as Socket).receive(req, 0, req.length);
    sl.epollWait(epfd, new EpollEvents(4));
    expect(ev().syscall).toBe(3);
    const user = Buffer.alloc(100);
    expect(sl.read(fd, user, 10, 100 - 10)).toBe(req.length);
    expect(user.subarray(10, 10 + req.length)).toEqual(req);
    expect(sl.bytesCopied).toBe(req.length);
    expect(ev().copy).toBe(1);
    expect(sl.writev(fd, [Buffer.from('HTTP/1.1 200 OK\r\n'), Buffer.alloc(0), Buffer.from('body')])).toBe(21);
    expect(Buffer.concat(tcp.sent).toString()).toBe('HTTP/1.1 200 OK\r\nbody');
    expect(sl.bytesCopied).toBe(req.length + 21);
    sl.close(fd);
    expect(ev().syscall).toBe(6);
    expect(sl.calls).toBe(6);
    expect(ev().context_switch).toBeUndefined();
  });

  test('a context switch only when epoll_wait slept and is woken, once', () => {
    const { sl, listen, lfd, epfd, ev } = setup();
    sl.epollCtl(epfd, EPOLL_CTL_ADD, lfd, EPOLLIN);
    const out = new EpollEvents(4);
    expect(sl.epollWait(epfd, out)).toBe(0); // blocks
    expect(sl.sleeping).toBe(true);
    expect(sl.epollWait(epfd, out)).toBe(0); // still the same blocked call
    expect(ev().syscall).toBe(2); // ctl + the one wait
    expect(ev().context_switch).toBeUndefined();
    listen.pushAccepted(1);
    listen.pushAccepted(2);
    expect(sl.epollWait(epfd, out)).toBe(1); // the blocked call returns
    expect(ev().context_switch).toBe(1);
    expect(ev().syscall).toBe(2);
    expect(sl.epollWait(epfd, out)).toBe(1); // awake: a new call, no switch
    expect(ev().context_switch).toBe(1);
    expect(ev().syscall).toBe(3);
  });

  test('busy loop: 1000 epoll_wait calls with something always ready, no context switch', () => {
    const { sl, listen, lfd, epfd, ev } = setup();
    listen.pushAccepted(1);
    sl.epollCtl(epfd, EPOLL_CTL_ADD, lfd, EPOLLIN);
    const out = new EpollEvents(4);
    for (let k = 0; k < 1000; k++) expect(sl.epollWait(epfd, out)).toBe(1);
    expect(ev().syscall).toBe(1001);
    expect(ev().context_switch).toBeUndefined();
    expect(sl.contextSwitches).toBe(0);
  });

  test('the profile cost is spent: syscall CPU at least calls x cost, context switch billed', () => {
    const { sl, listen, lfd, epfd, ctx } = setup({}, 'linux-3.10-xeon');
    sl.epollCtl(epfd, EPOLL_CTL_ADD, lfd, EPOLLIN);
    const out = new EpollEvents(4);
    sl.epollWait(epfd, out); // sleeps
    listen.pushAccepted(1);
    sl.epollWait(epfd, out); // woken
    const ns = ctx.stats.cpu.ns[Cat.syscall];
    const expected = 2 * ctx.costs.ns.syscall + ctx.costs.ns.context_switch;
    expect(ns).toBeGreaterThanOrEqual(expected * 0.9);
    expect(ctx.stats.cpu.ns[Cat.protocol]).toBe(0);
  });

  test('billSyscalls off (user-space stack): same work, no syscall or context switch', () => {
    const { sl, listen, lfd, epfd, ev, ctx } = setup({ billSyscalls: false }, 'linux-3.10-xeon');
    sl.epollCtl(epfd, EPOLL_CTL_ADD, lfd, EPOLLIN);
    const out = new EpollEvents(4);
    expect(sl.epollWait(epfd, out)).toBe(0);
    listen.pushAccepted(1);
    expect(sl.epollWait(epfd, out)).toBe(1);
    const fd = sl.accept4(lfd);
    (sl.socket(fd) as Socket).receive(Buffer.from('abc'), 0, 3);
    expect(sl.read(fd, Buffer.alloc(8), 0, 8)).toBe(3);
    expect(sl.bytesCopied).toBe(3);
    expect(sl.calls).toBe(4);
    expect(ev().syscall).toBeUndefined();
    expect(ev().context_switch).toBeUndefined();
    expect(ctx.stats.cpu.ns[Cat.syscall]).toBe(0);
    // the calls' own work is the user-space stack's
    expect(ctx.stats.cpu.ns[Cat.protocol]).toBeGreaterThan(0);
  });
});
