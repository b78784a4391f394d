// stack tcp's kernel side: the TCP endpoint (@vnflab/tcp) under the socket layer
// (./sockets). Received segments go through TCP (billed `protocol`); what TCP tells the layer
// above lands on the sockets: a finished handshake queues a socket on its listen socket's accept
// queue, in-order bytes go into the socket's receive buffer, a FIN or a reset marks it, and each
// change wakes epoll. The socket layer's writev and close call back into TCP (TcpSendPath), which
// segments and sends through the transmit skbs (./tx-skbs.ts).
//
// Two accept queues, kept in step: TCP's listener holds the connection ids as Linux's request
// queue does (its bound decides `accept_queue_full` and the SYN drops), the listen socket holds
// the sockets accept4 hands out. Both take a connection at acceptReady, in the same order and
// with the same bound; accept4 takes the socket, and the connection from TCP's queue with it
// (a connection reset while it waited is skipped by TCP's accept and comes out of accept4 as a
// reset socket, as Linux hands out a socket whose peer already reset).
//
// The bytes a data event hands over are copied into the socket's receive buffer inside TCP's
// input and so billed `protocol`: Linux queues the skb itself on the socket (tcp_queue_rcv, no
// copy); the lab's skbs live one round, so their payload moves into the socket's buffer instead,
// and that move is TCP's queueing, not a third copy. The copies a socket makes are read()'s and
// writev()'s (copy_to_user, copy_from_user), billed `copy` by the socket layer.

import * as core from '@vnflab/core';
import type { Costs, Outbox, StageStats } from '@vnflab/core';
import * as tcpLib from '@vnflab/tcp';
import type { CloseReasonCode, TcpEvents } from '@vnflab/tcp';
import type { Allocator } from './alloc';
import { CpuSplit } from './cpu-split';
import type { TcpEndpointSettings } from './settings';
import { EPOLLIN, Epoll } from './sockets/epoll';
import { SocketLayer, type TcpSendPath } from './sockets/socket-layer';
import type { Socket } from './sockets/socket';
import { TxSkbs } from './tx-skbs';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { Cat, DEFAULT_DST_MAC, ipFromString, monoNs } = core;
const { CLOSE_REASON_NAMES, CloseReason, TcpEndpoint, synQueueBound } = tcpLib;

/** The fds taken before the server's sockets: stdin, stdout, stderr. */
const RESERVED_FDS = 3;
/** Receive buffer per socket: tcp_rmem[1] of Linux 3.10 is 87380; 16 KiB holds any request here. */
export const SOCKET_RCVBUF_BYTES = 16384;
/** The kernel buffer a writev copies into before TCP takes the bytes. */
export const SOCKET_SNDBUF_BYTES = 65536;
/** The server's address as the client sees it (connect() only: listeners answer any address). */
export const SERVER_IP = ipFromString('10.0.0.100');

/** Sizes stack tcp derives from its settings (also the manifest's memory estimate). */
export function tcpSizes(s: TcpEndpointSettings, ports: number) {
  const synQueue = synQueueBound(s.backlog, s.synBacklog);
  const maxSockets = s.maxConnections + ports * (s.backlog + 1);
  return {
    synQueue,
    maxSockets,
    /** RLIMIT_NOFILE: the connections, the listen sockets, the epoll fd and the reserved three. */
    maxFds: s.maxConnections + ports + 1 + RESERVED_FDS,
    /** TCBs: open connections, those in a listener's queues, and TIME_WAIT's. */
    tcbs: s.maxConnections + ports * (synQueue + s.backlog) + s.maxTwBuckets,
  };
}

export class TcpServer implements TcpEvents, TcpSendPath {
  readonly tcp: tcpLib.TcpEndpoint;
  readonly sockets: SocketLayer;
  readonly tx: TxSkbs;
  readonly split = new CpuSplit();
  /** Listening port -> listen socket fd, and back. */
  readonly listenFds = new Map<number, number>();
  readonly portOfFd = new Map<number, number>();
  readonly epfd: number;
  /** TCP connection id -> its socket, from acceptReady until closed or the application's close. */
  private readonly byConn = new Map<number, Socket>();
  private stats: StageStats;
  /** Connections TCP finished that got no socket (the socket pool was exhausted): reset. */
  noSocket = 0;
  /** Connections that ended while the application still had their fd, by close reason. */
  readonly closedUnder = new Float64Array(CLOSE_REASON_NAMES.length);
  /** accept4 handed out a socket whose connection TCP's queue did not have first (must stay 0). */
  acceptMismatch = 0;

  constructor(
    s: TcpEndpointSettings,
    ports: readonly number[],
    allocator: Allocator,
    billSyscalls: boolean,
    ctx: { stats: StageStats; costs: Costs },
  ) {
    const z = tcpSizes(s, ports.length);
    this.stats = ctx.stats;
    this.tx = new TxSkbs(allocator, this.split);
    this.tcp = new TcpEndpoint(
      {
        localIp: SERVER_IP,
        localMac: DEFAULT_DST_MAC,
        backlog: s.backlog,
        synBacklog: s.synBacklog,
        maxConnections: z.tcbs,
        timeWaitMs: s.timeWaitMs,
        maxTwBuckets: Math.min(s.maxTwBuckets, z.tcbs),
        delayedAck: s.delayedAck,
      },
      this.tx,
      this,
    );
    this.sockets = new SocketLayer(ctx, this, {
      maxFds: z.maxFds,
      reservedFds: RESERVED_FDS,
      maxSockets: z.maxSockets,
      rcvBufBytes: SOCKET_RCVBUF_BYTES,
      sndBufBytes: SOCKET_SNDBUF_BYTES,
      billSyscalls,
    });
    // socket + bind + listen per port, then epoll_create1 and the listen fds in it: the server's
    // start-up, before traffic, not billed
    for (const port of ports) {
      const fd = this.sockets.listen(s.backlog);
      if (fd < 0) throw new Error(`kernel-path: listen on port ${port} failed (${fd})`);
      this.tcp.listen(port, s.backlog);
      this.listenFds.set(port, fd);
      this.portOfFd.set(fd, port);
    }
    this.epfd = this.sockets.epollCreate();
    const ep = this.sockets.fds.get(this.epfd) as Epoll;
    for (const fd of this.listenFds.values()) ep.add(fd, this.sockets.socket(fd) as Socket, EPOLLIN);
  }

  /** This pass's counters, costs and outbox (each runner of the stage has its own). */
  use(ctx: { stats: StageStats; costs: Costs }, out: Outbox | null): void {
    this.stats = ctx.stats;
    this.sockets.useContext(ctx);
    this.tx.use(out, ctx.stats);
  }

  useAllocator(a: Allocator): void {
    this.tx.useAllocator(a);
  }

  /** One received frame through TCP, billed `protocol`: 0 when consumed, else a drop reason. */
  input(buf: Buffer, off: number, len: number, nowNs: number): number {
    this.split.begin(this.stats.cpu, Cat.protocol);
    const r = this.tcp.input(buf, off, len, nowNs);
    this.split.end();
    return r;
  }

  /** TCP's timers (retransmission, delayed ACK, TIME_WAIT), billed `protocol`. */
  tick(nowNs: number): void {
    this.split.begin(this.stats.cpu, Cat.protocol);
    this.tcp.tick(nowNs);
    this.split.end();
  }

  /**
   * accept4 took `s` from the listen socket on `port`: takes its connection from TCP's queue too
   * (inet_csk_accept's dequeue, the end of that call: billed as the call is).
   */
  accepted(port: number, s: Socket): void {
    if (s.isReset) return; // TCP freed it while it waited, and skips it itself
    this.split.begin(this.stats.cpu, this.sockets.billSyscalls ? Cat.syscall : Cat.protocol);
    const id = this.tcp.accept(port);
    this.split.end();
    if (id !== s.conn) this.acceptMismatch++;
  }

  /** Sockets on the epoll's ready list (something for the thread to do). */
  get readyCount(): number {
    const ep = this.sockets.fds.get(this.epfd);
    return ep instanceof Epoll ? ep.rdLen : 0;
  }

  // ---- TcpEvents: TCP tells the sockets (inside input/tick/send/close, already billed) ----

  connected(): void {
    // the server never connects
  }

  acceptReady(port: number, conn: number): void {
    const fd = this.listenFds.get(port);
    const ls = fd === undefined ? null : this.sockets.socket(fd);
    const s = ls === null ? null : ls.pushAccepted(conn);
    if (s === null) {
      // no socket for it (ENFILE): Linux refuses the child socket and resets the connection
      this.noSocket++;
      this.tcp.abort(conn, monoNs());
      return;
    }
    this.byConn.set(conn, s);
  }

  data(conn: number, buf: Uint8Array, off: number, len: number): void {
    const s = this.byConn.get(conn);
    if (s === undefined) return; // the application closed it: the bytes have nobody to go to
    const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    s.receive(b, off, len);
  }

  peerClosed(conn: number): void {
    this.byConn.get(conn)?.peerClosed();
  }

  closed(conn: number, reason: CloseReasonCode): void {
    const s = this.byConn.get(conn);
    if (s === undefined) return;
    this.byConn.delete(conn);
    this.closedUnder[reason]++;
    // over without the application's close: a reset or a timeout shows as ECONNRESET on read
    if (reason === CloseReason.normal) s.peerClosed();
    else s.reset();
  }

  // ---- TcpSendPath: the socket layer's writev and close ----

  send(conn: number, buf: Buffer, off: number, len: number): number {
    this.split.begin(this.stats.cpu, Cat.protocol);
    const n = this.tcp.send(conn, buf, off, len, monoNs());
    this.split.end();
    return n < 0 ? 0 : n;
  }

  close(conn: number): void {
    this.byConn.delete(conn);
    this.split.begin(this.stats.cpu, Cat.protocol);
    this.tcp.close(conn, monoNs());
    this.split.end();
  }

  describe(): Record<string, unknown> {
    const closed: Record<string, number> = {};
    CLOSE_REASON_NAMES.forEach((n, k) => {
      if (this.closedUnder[k] > 0) closed[n] = this.closedUnder[k];
    });
    return {
      connections: this.tcp.connections,
      time_wait: this.tcp.timeWaitCount,
      open_fds: this.sockets.fds.open,
      sockets_in_use: this.sockets.pool.inUse,
      tcp: { ...this.tcp.stats },
      tcp_drops: this.tcp.drops(),
      segments_sent: this.tx.sent,
      tx_no_room: this.tx.noRoom,
      no_socket: this.noSocket,
      closed_under_application: closed,
      accept_mismatch: this.acceptMismatch,
    };
  }
}
