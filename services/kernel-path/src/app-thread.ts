// The web server's thread as the socket layer sees it: lighttpd 1.4.32's event loop, one thread,
// its system calls made here on the application's behalf, what it read handed to the application
// (the next stage, web-server) as records, and what the application writes taken back from it
// (services/web-server/src/records.ts has the format).
//
//   epoll_wait -> for each ready fd: the listen fd: accept4 until EAGAIN (at most 100, lighttpd's
//   network_server_handle_fdevent), each new fd epoll_ctl(ADD, EPOLLIN) -> record `accept`;
//   a connection: read() into the user buffer -> record `data`, or `eof` when read returns 0 or
//   fails (lighttpd then ends the connection: epoll_ctl(DEL), and the application's close follows)
//   write record -> writev; close -> close(); write_close -> both
//
// The thread goes back to epoll_wait after each round of events, unless that round handed the
// application a request: then it is busy in the application until the answers come back (the
// return pass), and calls epoll_wait again after writing them. An epoll_wait that finds nothing
// puts it to sleep (the socket layer counts the sleep, and the context switch when it is woken).
//
// The user buffer of a read is the record's slot in the outgoing batch (as kernel-path's copy
// to user space writes into the batch slot), sized from the bytes the socket holds: lighttpd asks
// with ioctl(FIONREAD) first; that ioctl is not modelled as a call.

import * as core from '@vnflab/core';
import type { Batch, Outbox } from '@vnflab/core';
import * as webServer from '@vnflab/web-server';
import { EAGAIN, EMFILE, ENFILE } from './sockets/errno';
import { EPOLLIN, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EpollEvents } from './sockets/epoll';
import type { TcpServer } from './tcp-server';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { reasonCode } = core;
const { RECORD_HEADER_LEN, RecordOp, RecordView, readRecord, writeRecordHeader } = webServer;

/** The server's calls, counted by name (failed ones as well as in `failed`). */
export const SERVER_CALLS = ['epoll_wait', 'accept4', 'epoll_ctl', 'read', 'writev', 'close'] as const;
export type ServerCall = (typeof SERVER_CALLS)[number];
const C = Object.fromEntries(SERVER_CALLS.map((n, k) => [n, k])) as Record<ServerCall, number>;

/** Why a record coming back from the application is dropped here. */
export const RECORD_REASONS = [
  'record_truncated',
  'record_bad_op',
  'record_bad_length',
  'unknown_connection',
  'unexpected_record',
  'write_incomplete',
] as const;
const R = Object.fromEntries(RECORD_REASONS.map((r) => [r, reasonCode(r)])) as Record<
  (typeof RECORD_REASONS)[number],
  number
>;

/** Connections accepted per ready listen fd at most (lighttpd's loop bound). */
const ACCEPTS_PER_EVENT = 100;
/** Bytes one read takes at most: a record's payload in a 1518-byte slot. */
export const MAX_READ = 1518 - RECORD_HEADER_LEN;
/** Rounds of epoll_wait in one pass at most: the thread yields rather than spin on an fd it cannot drain. */
const MAX_ROUNDS = 64;

export class AppThread {
  readonly calls = new Float64Array(SERVER_CALLS.length);
  readonly failed = new Float64Array(SERVER_CALLS.length);
  /** Records handed to the application, by op (accept, data, eof). */
  accepts = 0;
  reads = 0;
  eofs = 0;
  /** Listen fds taken out of epoll because accept4 ran out of fds (lighttpd's sockets_disabled). */
  private readonly disabled: number[] = [];
  /** Times the listen sockets were disabled that way. */
  acceptsDisabled = 0;
  private readonly events: EpollEvents;
  private readonly scratch = Buffer.alloc(MAX_READ);
  private readonly rec = new RecordView();
  private readonly iov: Buffer[] = [Buffer.alloc(0)];

  constructor(private readonly server: TcpServer) {
    this.events = new EpollEvents(server.sockets.fds.maxFds);
  }

  /** Rounds of epoll_wait and their events, until the thread sleeps or hands the application a request. */
  run(out: Outbox): void {
    const sl = this.server.sockets;
    const ev = this.events;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const before = sl.calls;
      const n = sl.epollWait(this.server.epfd, ev);
      if (sl.calls !== before) this.calls[C.epoll_wait]++; // a sleeping thread's call returns later, counted once
      if (n <= 0) return;
      let handed = false;
      for (let k = 0; k < n; k++) {
        const fd = ev.fds[k];
        const port = this.server.portOfFd.get(fd);
        if (port !== undefined) this.acceptAll(fd, port, out);
        else if (this.readConn(fd, out)) handed = true;
      }
      if (handed) return;
    }
  }

  /** The application's write, close and write_close records: writev and close; each is delivered here. */
  returned(batch: Batch, out: Outbox): void {
    const sl = this.server.sockets;
    const rec = this.rec;
    const buf = batch.buf;
    for (let i = 0; i < batch.count; i++) {
      if (!batch.alive(i)) continue;
      const why = readRecord(buf, batch.offset(i), batch.length(i), rec);
      if (why !== null) {
        batch.drop(i, R[why as keyof typeof R]);
        continue;
      }
      const op = rec.op;
      if (op !== RecordOp.write && op !== RecordOp.close && op !== RecordOp.write_close) {
        batch.drop(i, R.unexpected_record); // accept/data/eof travel the other way
        continue;
      }
      const s = sl.socket(rec.fd);
      if (s === null || s.conn !== rec.conn) {
        batch.drop(i, R.unknown_connection); // an fd closed already, or reused by a newer connection
        continue;
      }
      let short = false;
      if (op !== RecordOp.close) {
        this.iov[0] = buf.subarray(rec.payloadOff, rec.payloadOff + rec.payloadLen);
        const n = sl.writev(rec.fd, this.iov, 1);
        this.count(C.writev, n);
        short = n !== rec.payloadLen;
      }
      if (op !== RecordOp.write) {
        this.count(C.close, sl.close(rec.fd));
        this.enableAccepts();
      }
      // TCP's send buffer refused the rest: lighttpd would wait for EPOLLOUT; here it is lost, counted
      if (short) batch.drop(i, R.write_incomplete);
      else batch.deliver(i);
    }
    this.iov[0] = this.scratch;
    this.run(out);
  }

  private acceptAll(lfd: number, port: number, out: Outbox): void {
    const sl = this.server.sockets;
    for (let k = 0; k < ACCEPTS_PER_EVENT; k++) {
      const fd = sl.accept4(lfd);
      this.count(C.accept4, fd);
      if (fd === EMFILE || fd === ENFILE) {
        // out of fds: lighttpd stops watching its listen sockets until a connection closes
        // (server.c, sockets_disabled), rather than be woken for them again and again
        this.count(C.epoll_ctl, sl.epollCtl(this.server.epfd, EPOLL_CTL_MOD, lfd, 0));
        this.disabled.push(lfd);
        this.acceptsDisabled++;
        return;
      }
      if (fd < 0) return; // EAGAIN: the queue is drained
      const s = sl.socket(fd);
      if (s === null) return;
      this.server.accepted(port, s);
      this.count(C.epoll_ctl, sl.epollCtl(this.server.epfd, EPOLL_CTL_ADD, fd, EPOLLIN));
      this.record(out, RecordOp.accept, fd, s.conn);
      this.accepts++;
    }
  }

  /** Reads a ready connection; true when it handed the application data or an end of stream. */
  private readConn(fd: number, out: Outbox): boolean {
    const sl = this.server.sockets;
    const s = sl.socket(fd);
    if (s === null) return false;
    const want = s.isReset ? 0 : Math.min(s.rcvLen, MAX_READ);
    if (want > 0) {
      const b = out.forward();
      const i = b.append(RECORD_HEADER_LEN + want);
      if (i < 0)
        throw new Error(
          `kernel-path: ctx.out.forward() gave a batch without room for ${RECORD_HEADER_LEN + want} bytes`,
        );
      const o = b.offset(i);
      const n = sl.read(fd, b.buf, o + RECORD_HEADER_LEN, want);
      this.count(C.read, n);
      writeRecordHeader(b.buf, o, RecordOp.data, fd, s.conn);
      if (n !== want) b.setLength(i, RECORD_HEADER_LEN + (n > 0 ? n : 0));
      this.reads++;
      return true;
    }
    const n = sl.read(fd, this.scratch, 0, this.scratch.length);
    this.count(C.read, n);
    if (n === EAGAIN) return false; // woken for nothing (level-triggered after a partial drain)
    // read returned 0 (the peer's FIN) or failed (ECONNRESET): the connection is over for
    // lighttpd, which takes it out of epoll; the application closes the fd
    this.count(C.epoll_ctl, sl.epollCtl(this.server.epfd, EPOLL_CTL_DEL, fd, 0));
    this.record(out, RecordOp.eof, fd, s.conn);
    this.eofs++;
    return true;
  }

  /** A connection closed: listen sockets disabled for want of fds are watched again. */
  private enableAccepts(): void {
    const sl = this.server.sockets;
    while (this.disabled.length > 0) {
      const lfd = this.disabled.pop() as number;
      this.count(C.epoll_ctl, sl.epollCtl(this.server.epfd, EPOLL_CTL_MOD, lfd, EPOLLIN));
    }
  }

  private record(out: Outbox, op: webServer.RecordOp, fd: number, conn: number): void {
    const b = out.forward();
    const i = b.append(RECORD_HEADER_LEN);
    if (i < 0) throw new Error('kernel-path: ctx.out.forward() gave a batch without room for a record');
    writeRecordHeader(b.buf, b.offset(i), op, fd, conn);
  }

  private count(call: number, rc: number): void {
    this.calls[call]++;
    if (rc < 0) this.failed[call]++;
  }

  describe(): Record<string, unknown> {
    const calls: Record<string, number> = {};
    const failed: Record<string, number> = {};
    SERVER_CALLS.forEach((n, k) => {
      calls[n] = this.calls[k];
      if (this.failed[k] > 0) failed[n] = this.failed[k];
    });
    return {
      calls,
      failed,
      accepts: this.accepts,
      reads: this.reads,
      eofs: this.eofs,
      accepts_disabled: this.acceptsDisabled,
    };
  }
}
