// The HTTP client: a closed-loop source that drives short (or keep-alive) HTTP transactions over
// the TCP library in the client role, as ApacheBench does with `-c` connections. Each of the
// `connections` slots runs connect -> request -> response -> close, then the slot opens a new
// connection. fill() emits what is due (frames queued while receiving, timers, new SYNs under the
// concurrency and rate limits); receive() hands the segments that came back to the TCP endpoint
// of the address they were sent to; waitMs() says when something is next due.

import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, ElementContext, Source } from '@vnflab/core';
import * as tcpLib from '@vnflab/tcp';
import type { FrameSlot, TcpEvents, TcpSink } from '@vnflab/tcp';
import { ClientStats, Fail } from './client-stats';
import { Feed, ResponseParser } from './http-response';
import { TransactionPacer } from './pacer';
import { buildRequests, type Requests } from './requests';
import { resolveClientSettings, type ResolvedClientSettings } from './settings';
import { TxQueue } from './tx-queue';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { reasonCode } = core;
const { CloseReason, TcpEndpoint, TimerWheel } = tcpLib;

/** A returned frame whose destination is none of the client's addresses. */
export const NOT_FOR_CLIENT = reasonCode('not_for_client');

// A slot's phase.
const FREE = 0;
/** SYN sent, waiting for the SYN-ACK. */
const CONNECTING = 1;
/** Established, its next request waiting for a token of the rate. */
const IDLE = 2;
/** A request sent, its response not complete. */
const REQUEST = 3;
/** Done with requests, the FIN exchange under way. */
const CLOSING = 4;

/**
 * How often the TCP timers (retransmission, delayed ACK, TIME_WAIT) and the client's timeouts
 * run while connections are open: the library's advice is every 1-10 ms.
 */
export const TICK_MS = 5;
/**
 * How late the rate's schedule may fall before it skips ahead. The source runner wakes on a
 * timer (1 ms at best) or when answers come back, and a busy chain delays both by several
 * milliseconds: with 2 ms, a chain at 500 transactions/s skipped more than half its tokens.
 * Within the slack the client catches up (a burst of at most rate x 20 ms transactions).
 */
const RATE_SLACK_MS = 20;
/** After connect() found no free 4-tuple (ports in TIME_WAIT), try again this much later. */
const PORT_RETRY_MS = 10;

/** Sizes of what the client preallocates, from its settings (also the stage's memory estimate). */
export function clientSizing(s: Pick<ResolvedClientSettings, 'connections' | 'srcIps'>): {
  perAddress: number;
  tcbs: number;
  poolSegments: number;
  queueBytes: number;
  queueFrames: number;
} {
  const perAddress = Math.ceil(s.connections / s.srcIps.length);
  return {
    perAddress,
    // as many again for connections the client closed first (TIME_WAIT) or still closing
    tcbs: Math.max(16, perAddress * 2),
    // a request is one chunk; the rest holds out-of-order response segments
    poolSegments: perAddress + 64,
    queueBytes: s.connections * 256 + 65536,
    queueFrames: s.connections * 4 + 1024,
  };
}

/** One endpoint's events, tagged with the endpoint's index. */
class EndpointEvents implements TcpEvents {
  constructor(
    private readonly client: HttpClient,
    private readonly ep: number,
  ) {}
  connected(conn: number): void {
    this.client.onConnected(this.ep, conn);
  }
  acceptReady(): void {
    // the client never listens
  }
  data(conn: number, buf: Uint8Array, off: number, len: number): void {
    this.client.onData(this.ep, conn, buf, off, len);
  }
  peerClosed(conn: number): void {
    this.client.onPeerClosed(this.ep, conn);
  }
  closed(conn: number, reason: number): void {
    this.client.onClosed(this.ep, conn, reason);
  }
}

export class HttpClient implements Source, TcpSink {
  readonly stage = 'http-client';
  readonly variant: string;
  readonly s: ResolvedClientSettings;
  readonly stats = new ClientStats();
  /** Frames emitted (every one a packet the chain accounts for). */
  sent = 0;
  /** One TCP endpoint per client address. */
  readonly endpoints: tcpLib.TcpEndpoint[];
  private readonly byConn: Map<number, number>[];
  private readonly ipIndex = new Map<number, number>();
  private readonly txq: TxQueue;
  private readonly parser: ResponseParser;
  private readonly timers: tcpLib.TimerWheel;
  private readonly pacer?: TransactionPacer;
  private readonly req: Requests;
  // per slot
  private readonly phase: Uint8Array;
  private readonly connId: Float64Array;
  private readonly epOf: Uint8Array;
  /** Requests this connection still carries (taken from the count when it opened). */
  private readonly reserved: Int32Array;
  private readonly requestsSent: Int32Array;
  /** A request sent and not answered in full. */
  private readonly inflight: Uint8Array;
  private readonly failure: Int8Array;
  private readonly connectNs: Float64Array;
  private readonly requestNs: Float64Array;
  private readonly txStartNs: Float64Array;
  private readonly gotByte: Uint8Array;
  private readonly freeSlots: Int32Array;
  private freeTop: number;
  // slots waiting for a token of the rate: an intrusive FIFO
  private readonly waitNext: Int32Array;
  private readonly waitPrev: Int32Array;
  private readonly waiting: Uint8Array;
  private waitHead = -1;
  private waitTail = -1;
  private waitCount = 0;
  /** Connections open now (slots in use). */
  active = 0;
  /** Transactions not yet given to a connection; Infinity without a count. */
  private available: number;
  private nowNs = 0;
  private startNs = -1;
  private lastTickNs = -1;
  /** No request is started any more (stopped, or the duration is over): connections close. */
  private noMoreRequests = false;
  private drainAtNs = Infinity;
  private stopped = false;
  private nextEp = 0;
  private portRetryNs = 0;
  /** The batch fill() writes into directly; null while receiving or once it is full. */
  private target: Batch | null = null;
  private toQueue = false;

  constructor(variant: string, settings: Record<string, unknown> = {}) {
    this.variant = variant;
    const s = (this.s = resolveClientSettings(settings));
    const n = s.connections;
    const size = clientSizing(s);
    this.endpoints = s.srcIps.map(
      (ip, i) =>
        new TcpEndpoint(
          {
            localIp: ip,
            maxConnections: size.tcbs,
            maxTwBuckets: size.perAddress,
            poolSegments: size.poolSegments,
            ephemeralLow: s.portLow,
            ephemeralHigh: s.portHigh,
            // offered as Linux offers it (RFC 2018 allows a receiver never to send SACK blocks,
            // which this one does not)
            sackPermitted: true,
          },
          this,
          new EndpointEvents(this, i),
        ),
    );
    s.srcIps.forEach((ip, i) => this.ipIndex.set(ip, i));
    this.byConn = s.srcIps.map(() => new Map<number, number>());
    this.txq = new TxQueue(size.queueBytes, size.queueFrames);
    this.parser = new ResponseParser(n);
    this.timers = new TimerWheel(n);
    if (s.rate > 0) this.pacer = new TransactionPacer(s.rate, RATE_SLACK_MS * 1e6);
    this.req = buildRequests(s.path, s.dstIp, s.dstPort);
    this.phase = new Uint8Array(n);
    this.connId = new Float64Array(n).fill(-1);
    this.epOf = new Uint8Array(n);
    this.reserved = new Int32Array(n);
    this.requestsSent = new Int32Array(n);
    this.inflight = new Uint8Array(n);
    this.failure = new Int8Array(n).fill(-1);
    this.connectNs = new Float64Array(n);
    this.requestNs = new Float64Array(n);
    this.txStartNs = new Float64Array(n);
    this.gotByte = new Uint8Array(n);
    this.freeSlots = new Int32Array(n);
    for (let i = 0; i < n; i++) this.freeSlots[i] = n - 1 - i;
    this.freeTop = n;
    this.waitNext = new Int32Array(n).fill(-1);
    this.waitPrev = new Int32Array(n).fill(-1);
    this.waiting = new Uint8Array(n);
    this.available = s.count > 0 ? s.count : Infinity;
  }

  // ---- Source ----

  /**
   * Nothing more will start: stopped, the duration is over, or the count is given out (a
   * connection the server closed early gives its unsent requests back, and they start again).
   */
  private get ending(): boolean {
    return this.noMoreRequests || this.available === 0;
  }

  get done(): boolean {
    return this.ending && this.active === 0 && this.txq.count === 0;
  }

  stop(): void {
    this.stopped = true;
  }

  waitMs(nowNs: number): number {
    if (this.startNs < 0 || this.txq.count > 0) return 0;
    if (this.ending ? this.active === 0 : this.stopped) return 0;
    let wait = this.active > 0 ? TICK_MS - (nowNs - this.lastTickNs) / 1e6 : 1000;
    if (this.ending) wait = Math.min(wait, (this.drainAtNs - nowNs) / 1e6);
    else {
      if (this.s.durationS > 0) wait = Math.min(wait, (this.startNs + this.s.durationS * 1e9 - nowNs) / 1e6);
      if (this.freeTop > 0 && this.available > 0)
        wait = Math.min(wait, Math.max((this.portRetryNs - nowNs) / 1e6, this.pacer ? this.pacer.waitMs(nowNs) : 0));
    }
    if (this.waitCount > 0 && this.pacer) wait = Math.min(wait, this.pacer.waitMs(nowNs));
    return Math.max(0, wait);
  }

  fill(batch: Batch, nowNs: number, _ctx: ElementContext): number {
    this.nowNs = nowNs;
    if (this.startNs < 0) this.startNs = nowNs;
    const before = batch.count;
    // frames waiting since the last fill go first, so each connection's frames stay in order
    this.txq.drainInto(batch);
    this.target = batch.full ? null : batch;
    for (const ep of this.endpoints) ep.tick(nowNs);
    this.timers.advance(nowNs / 1e6, this);
    this.lastTickNs = nowNs;
    this.checkEnd(nowNs);
    // new connections take the rate's tokens first, while slots are free
    if (!this.ending) this.openConnections(nowNs);
    if (this.pacer) this.sendWaiting(nowNs);
    this.target = null;
    const n = batch.count - before;
    this.sent += n;
    return n;
  }

  /** Segments that came back: each goes to the endpoint of its destination address. */
  receive(batch: Batch, nowNs: number, _ctx: ElementContext): void {
    this.nowNs = nowNs;
    this.target = null;
    const buf = batch.buf;
    const single = this.endpoints.length === 1 ? this.s.srcIps[0] : -1;
    for (let i = 0, c = batch.count; i < c; i++) {
      if (!batch.alive(i)) continue;
      const off = batch.offset(i);
      const len = batch.length(i);
      let e = 0;
      // an IPv4 frame goes to its destination's endpoint; anything else to the first, which
      // drops it with its reason (truncated, not_tcp)
      if (len >= 34 && buf[off + 12] === 0x08 && buf[off + 13] === 0x00) {
        const dst = ((buf[off + 30] << 24) | (buf[off + 31] << 16) | (buf[off + 32] << 8) | buf[off + 33]) >>> 0;
        const found = dst === single ? 0 : this.ipIndex.get(dst);
        if (found === undefined) {
          batch.drop(i, NOT_FOR_CLIENT);
          continue;
        }
        e = found;
      }
      // 0: the endpoint consumed it (it ends here, counted delivered); else its drop reason
      const v = this.endpoints[e].input(buf, off, len, nowNs);
      if (v === 0) batch.deliver(i);
      else batch.drop(i, v);
    }
  }

  // ---- TcpSink: into the batch being filled, else into the queue ----

  reserve(len: number, slot: FrameSlot): boolean {
    const b = this.target;
    if (b !== null && this.txq.count === 0) {
      const i = b.append(len);
      if (i >= 0) {
        slot.buf = b.buf;
        slot.off = b.offset(i);
        this.toQueue = false;
        return true;
      }
      this.target = null; // full: what follows queues behind, in order
    }
    this.toQueue = true;
    return this.txq.reserve(len, slot);
  }

  commit(_slot: FrameSlot, len: number): void {
    if (this.toQueue) this.txq.commit(len);
  }

  // ---- starting and ending ----

  private checkEnd(nowNs: number): void {
    if (
      !this.noMoreRequests &&
      (this.stopped || (this.s.durationS > 0 && nowNs - this.startNs >= this.s.durationS * 1e9))
    ) {
      this.noMoreRequests = true;
      // connections waiting for a token close now
      while (this.waitHead >= 0) this.closeOurs(this.unwait(this.waitHead));
    }
    // the drain runs from the moment nothing more starts
    if (!this.ending) this.drainAtNs = Infinity;
    else if (this.drainAtNs === Infinity) this.drainAtNs = nowNs + this.s.drainTimeoutMs * 1e6;
    if (this.ending && nowNs >= this.drainAtNs && this.active > 0) {
      for (let slot = 0; slot < this.phase.length; slot++)
        if (this.phase[slot] !== FREE) this.fail(slot, Fail.drain_timeout);
    }
  }

  private openConnections(nowNs: number): void {
    const pacer = this.pacer;
    while (this.freeTop > 0 && this.available > 0 && this.target !== null && nowNs >= this.portRetryNs) {
      if (pacer && !pacer.due(nowNs)) return;
      if (!this.open(nowNs)) {
        this.stats.noFreePort++;
        this.portRetryNs = nowNs + PORT_RETRY_MS * 1e6;
        return;
      }
      pacer?.take();
    }
  }

  /** connect() on the next address that has a free port; false when none has. */
  private open(nowNs: number): boolean {
    const eps = this.endpoints;
    let e = this.nextEp;
    let conn = -1;
    for (let k = 0; k < eps.length && conn < 0; k++) {
      e = (this.nextEp + k) % eps.length;
      conn = eps[e].connect(this.s.dstIp, this.s.dstPort, nowNs);
    }
    if (conn < 0) return false;
    this.nextEp = (e + 1) % eps.length;
    const slot = this.freeSlots[--this.freeTop];
    this.byConn[e].set(conn, slot);
    this.connId[slot] = conn;
    this.epOf[slot] = e;
    this.phase[slot] = CONNECTING;
    const r = Math.min(this.s.requestsPerConnection, this.available);
    this.reserved[slot] = r;
    this.available -= r;
    this.requestsSent[slot] = 0;
    this.inflight[slot] = 0;
    this.failure[slot] = -1;
    this.connectNs[slot] = nowNs;
    this.txStartNs[slot] = nowNs;
    this.active++;
    this.stats.connectionsOpened++;
    if (this.stats.firstNs < 0) this.stats.firstNs = nowNs;
    this.timers.schedule(slot, nowNs / 1e6 + this.s.connectTimeoutMs);
    return true;
  }

  /** The next request on an established connection, now or when the rate gives a token. */
  private nextRequest(slot: number): void {
    if (this.reserved[slot] === 0 || this.noMoreRequests) {
      this.closeOurs(slot);
      return;
    }
    this.phase[slot] = IDLE;
    const pacer = this.pacer;
    // a connection's first request took its token when the connection opened
    if (pacer && this.requestsSent[slot] > 0) {
      if (this.waitCount > 0 || !pacer.due(this.nowNs)) {
        this.enwait(slot);
        return;
      }
      pacer.take();
    }
    this.sendRequest(slot);
  }

  private sendWaiting(nowNs: number): void {
    const pacer = this.pacer!;
    while (this.waitHead >= 0 && pacer.due(nowNs)) {
      pacer.take();
      this.sendRequest(this.unwait(this.waitHead));
    }
  }

  private sendRequest(slot: number): void {
    const k = this.s.requestsPerConnection;
    const r = this.req;
    const bytes = k === 1 ? r.short : this.reserved[slot] === 1 ? r.last : r.keepAlive;
    const now = this.nowNs;
    const taken = this.endpoints[this.epOf[slot]].send(this.connId[slot], bytes, 0, bytes.length, now);
    this.reserved[slot]--;
    if (taken !== bytes.length) {
      // the request never left whole (the send buffer is far larger than a request: not expected)
      this.inflight[slot] = 1;
      this.fail(slot, Fail.reset);
      return;
    }
    this.phase[slot] = REQUEST;
    this.inflight[slot] = 1;
    if (this.requestsSent[slot] > 0) this.txStartNs[slot] = now;
    this.requestsSent[slot]++;
    this.requestNs[slot] = now;
    this.gotByte[slot] = 0;
    this.parser.reset(slot);
    this.stats.requests++;
    this.timers.schedule(slot, now / 1e6 + this.s.responseTimeoutMs);
  }

  /** The client closes first (it has no more requests and the server keeps the connection). */
  private closeOurs(slot: number): void {
    this.giveBack(slot);
    this.phase[slot] = CLOSING;
    this.timers.schedule(slot, this.nowNs / 1e6 + this.s.responseTimeoutMs);
    this.endpoints[this.epOf[slot]].close(this.connId[slot], this.nowNs);
  }

  /** Requests the connection carried and will not send go back to the count. */
  private giveBack(slot: number): void {
    this.available += this.reserved[slot];
    this.reserved[slot] = 0;
  }

  /** Ends the connection with RST (none in SYN-SENT); its `closed` event accounts for it. */
  private fail(slot: number, reason: number): void {
    this.failure[slot] = reason;
    this.endpoints[this.epOf[slot]].abort(this.connId[slot], this.nowNs);
  }

  // ---- the client's own timeouts (one timer per slot) ----

  onTimer(slot: number): void {
    switch (this.phase[slot]) {
      case CONNECTING:
        this.fail(slot, Fail.connect_timeout);
        return;
      case REQUEST:
        this.fail(slot, Fail.response_timeout);
        return;
      case CLOSING:
        this.fail(slot, this.inflight[slot] ? Fail.response_timeout : Fail.close_timeout);
        return;
    }
  }

  // ---- TCP events ----

  private slotOf(ep: number, conn: number): number {
    const s = this.byConn[ep].get(conn);
    return s === undefined ? -1 : s;
  }

  onConnected(ep: number, conn: number): void {
    const slot = this.slotOf(ep, conn);
    if (slot < 0) return;
    this.timers.cancel(slot);
    this.stats.connect.record(this.nowNs - this.connectNs[slot]);
    this.stats.connectionsEstablished++;
    this.nextRequest(slot);
  }

  onData(ep: number, conn: number, buf: Uint8Array, off: number, len: number): void {
    const slot = this.slotOf(ep, conn);
    if (slot < 0) return;
    if (this.phase[slot] !== REQUEST) {
      // bytes nobody asked for
      this.fail(slot, Fail.bad_response);
      return;
    }
    if (!this.gotByte[slot]) {
      this.gotByte[slot] = 1;
      this.stats.ttfb.record(this.nowNs - this.requestNs[slot]);
    }
    const r = this.parser.feed(slot, buf, off, len);
    if (r === Feed.more) return;
    if (r === Feed.bad) {
      this.fail(slot, Fail.bad_response);
      return;
    }
    this.complete(slot);
  }

  private complete(slot: number): void {
    const now = this.nowNs;
    const st = this.stats;
    this.inflight[slot] = 0;
    st.transactionsCompleted++;
    st.response(this.parser.status[slot]);
    st.transaction.record(now - this.txStartNs[slot]);
    st.lastNs = now;
    this.timers.cancel(slot);
    if (!this.parser.keepsAlive(slot)) {
      // the server closes (HTTP/1.0, Connection: close): its FIN comes, then ours
      this.giveBack(slot);
      this.phase[slot] = CLOSING;
      this.timers.schedule(slot, now / 1e6 + this.s.responseTimeoutMs);
      return;
    }
    this.nextRequest(slot);
  }

  onPeerClosed(ep: number, conn: number): void {
    const slot = this.slotOf(ep, conn);
    if (slot < 0) return;
    if (this.phase[slot] === REQUEST) {
      // a body without Content-Length ends here; any other response is cut short
      if (this.parser.finish(slot) === Feed.complete) this.complete(slot);
      else this.failure[slot] = Fail.bad_response; // closed in order, counted when it ends
    }
    if (this.phase[slot] === IDLE && this.waiting[slot]) this.unwait(slot);
    this.giveBack(slot);
    this.phase[slot] = CLOSING;
    if (!this.timers.armed(slot)) this.timers.schedule(slot, this.nowNs / 1e6 + this.s.responseTimeoutMs);
    this.endpoints[ep].close(conn, this.nowNs);
  }

  onClosed(ep: number, conn: number, reason: number): void {
    const slot = this.slotOf(ep, conn);
    if (slot < 0) return;
    this.byConn[ep].delete(conn);
    let f = this.failure[slot];
    if (f < 0) {
      switch (reason) {
        case CloseReason.normal:
          f = this.inflight[slot] || this.phase[slot] === CONNECTING ? Fail.bad_response : -1;
          break;
        case CloseReason.refused:
          f = Fail.refused;
          break;
        case CloseReason.timeout:
          f = Fail.retransmit_timeout;
          break;
        default:
          f = Fail.reset;
      }
    }
    this.release(slot, f);
  }

  /** The slot's connection is over: its transactions and its outcome are counted. */
  private release(slot: number, f: number): void {
    const st = this.stats;
    this.timers.cancel(slot);
    if (this.waiting[slot]) this.unwait(slot);
    if (this.phase[slot] === CONNECTING) {
      // the first request it carried fails with it
      this.reserved[slot]--;
      st.transactionsFailed[f]++;
    } else if (this.inflight[slot]) st.transactionsFailed[f >= 0 ? f : Fail.bad_response]++;
    this.giveBack(slot);
    if (f >= 0) st.connectionsFailed[f]++;
    else st.connectionsCompleted++;
    st.lastNs = Math.max(st.lastNs, this.nowNs);
    this.phase[slot] = FREE;
    this.inflight[slot] = 0;
    this.connId[slot] = -1;
    this.active--;
    this.freeSlots[this.freeTop++] = slot;
  }

  // ---- the FIFO of slots waiting for a token ----

  private enwait(slot: number): void {
    this.waiting[slot] = 1;
    this.waitNext[slot] = -1;
    this.waitPrev[slot] = this.waitTail;
    if (this.waitTail >= 0) this.waitNext[this.waitTail] = slot;
    else this.waitHead = slot;
    this.waitTail = slot;
    this.waitCount++;
  }

  private unwait(slot: number): number {
    const n = this.waitNext[slot];
    const p = this.waitPrev[slot];
    if (p >= 0) this.waitNext[p] = n;
    else this.waitHead = n;
    if (n >= 0) this.waitPrev[n] = p;
    else this.waitTail = p;
    this.waiting[slot] = 0;
    this.waitCount--;
    return slot;
  }

  // ---- reporting ----

  private retransmissions(): number {
    let n = 0;
    for (const ep of this.endpoints) n += ep.stats.retransmits;
    return n;
  }

  describe(): Record<string, unknown> {
    const drops: Record<string, number> = {};
    let timeWait = 0;
    for (const ep of this.endpoints) {
      for (const [k, v] of Object.entries(ep.drops())) drops[k] = (drops[k] ?? 0) + v;
      timeWait += ep.timeWaitCount;
    }
    const skipped = this.pacer?.skipped ?? 0;
    return this.stats.describe(this.active, this.retransmissions(), skipped, {
      rate_skipped: skipped,
      tx_queue_refused: this.txq.refused,
      tcp: { drops, time_wait: timeWait },
    });
  }

  metrics(): CustomMetricSpec[] {
    return this.stats.metrics(this.stage, this.variant, this.active, this.retransmissions());
  }
}
