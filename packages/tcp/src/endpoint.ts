// A TCP endpoint: the RFC 9293 state machine for both roles (connect and listen/accept) over
// the connection table, the timer wheel, the listeners and the segment pool. Time comes in as
// nowNs, frames go out through the caller's sink, and what the layer above must know goes
// through its TcpEvents. Nothing here allocates per segment.

import { randomBytes } from 'node:crypto';
import { reasonName } from '@vnflab/core';
import { ConnTable } from './conn-table';
import { Listener } from './listener';
import { CloseReason, type CloseReasonCode, TcpReason } from './reasons';
import { ACK, FIN, PSH, RST, SYN, TcpSegment, parseSegment } from './segment';
import { SegmentSpec, buildSegment, copyBytes, segmentFrameLength } from './segment-builder';
import { SegmentPool } from './segment-pool';
import { seqAdd, seqDiff, seqGeq, seqGt, seqInRange, seqLeq, seqLt } from './seq';
import { type TcpSettings, resolveTcpSettings } from './settings';
import { Tcb, TcpState } from './tcb';
import { TimerWheel, type TimerHandler } from './timer-wheel';

/** Where a transmitted frame goes: the sink points slot.buf/slot.off at room for `len` bytes. */
export interface FrameSlot {
  buf: Uint8Array;
  off: number;
}

export interface TcpSink {
  /** Room for one frame of `len` bytes (no FCS), or false (the frame is dropped, `tx_no_room`). */
  reserve(len: number, slot: FrameSlot): boolean;
  /** The frame in the slot is complete, checksums included. */
  commit(slot: FrameSlot, len: number): void;
}

export interface TcpEvents {
  /** A connect() finished its handshake. */
  connected(conn: number): void;
  /**
   * A passive connection finished its handshake and waits in the accept queue of `port`.
   * Its data and FIN may come (as events with this id) before accept() takes it.
   */
  acceptReady(port: number, conn: number): void;
  /** Bytes in order; `buf` is the received frame or the out-of-order pool: copy them now. */
  data(conn: number, buf: Uint8Array, off: number, len: number): void;
  /** The peer's FIN, in order: no more data will come. */
  peerClosed(conn: number): void;
  /** The connection is over for the layer above (TIME_WAIT may follow); the id is dead. */
  closed(conn: number, reason: CloseReasonCode): void;
  /** After a send() that took less than it was given: acknowledgments freed send buffer room. */
  writable?(conn: number): void;
}

/** Counts of what happened, beside the drops counted by reason. */
export class TcpStats {
  segmentsIn = 0;
  segmentsOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  activeOpens = 0;
  passiveOpens = 0;
  established = 0;
  retransmits = 0;
  synAckRetransmits = 0;
  duplicateSyns = 0;
  resetsSent = 0;
  resetsReceived = 0;
  challengeAcks = 0;
  delayedAcks = 0;
  oooQueued = 0;
  timeWaitReused = 0;
  timeWaitEntered = 0;
  timeWaitExpired = 0;
}

const TIMER_RTX = 0; // retransmission, SYN retries, TIME_WAIT (one at a time per connection)
const TIMER_DELACK = 1;
const TIMERS_PER_CONN = 2;

export class TcpEndpoint implements TimerHandler {
  readonly settings: TcpSettings;
  readonly stats = new TcpStats();
  private readonly table: ConnTable;
  private readonly wheel: TimerWheel;
  private readonly pool: SegmentPool;
  private readonly listeners = new Map<number, Listener>();
  private readonly seg = new TcpSegment();
  private readonly spec = new SegmentSpec();
  private readonly slot: FrameSlot = { buf: new Uint8Array(0), off: 0 };
  private readonly macScratch = new Uint8Array(6);
  private readonly dropCounts: Float64Array;
  private readonly key: Uint32Array;
  private nowMs = 0;
  private ipId = 0;
  private nextPort: number;
  /** Connections in TIME_WAIT. */
  timeWaitCount = 0;

  constructor(
    settings: Partial<TcpSettings> & { localIp: number },
    private readonly sink: TcpSink,
    private readonly events: TcpEvents,
  ) {
    this.settings = resolveTcpSettings(settings);
    const s = this.settings;
    this.table = new ConnTable(s.maxConnections);
    this.wheel = new TimerWheel(s.maxConnections * TIMERS_PER_CONN);
    this.pool = new SegmentPool(s.poolSegments, s.mss);
    let maxCode = 0;
    for (const c of Object.values(TcpReason)) maxCode = Math.max(maxCode, c);
    this.dropCounts = new Float64Array(maxCode + 1);
    this.key = new Uint32Array(randomBytes(16).buffer.slice(0));
    this.nextPort = s.ephemeralLow;
  }

  // ---- the API for the layer above ----

  /** Listens on `port` with an accept queue of `backlog` (default settings.backlog). */
  listen(port: number, backlog = this.settings.backlog): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new Error(`tcp.listen: port ${port} is not 1..65535`);
    if (!Number.isInteger(backlog) || backlog < 1) throw new Error(`tcp.listen: backlog ${backlog} is not >= 1`);
    this.listeners.set(port, new Listener(port, backlog, this.settings.synBacklog));
  }

  /** The listener on `port` (its queue lengths), or undefined. */
  listener(port: number): Listener | undefined {
    return this.listeners.get(port);
  }

  /** Takes the oldest established connection from `port`'s accept queue; -1 when empty. */
  accept(port: number): number {
    const l = this.listeners.get(port);
    if (!l) return -1;
    for (;;) {
      const id = l.shiftAccept();
      if (id < 0) return -1;
      const t = this.table.get(id);
      if (t && t.queuedForAccept) {
        t.queuedForAccept = false;
        return id;
      }
      // freed (reset, timed out) while it waited: its `closed` event was sent, skip it
    }
  }

  /** Opens a connection (SYN sent). Returns its id, or -1 (table full, no free port). */
  connect(remoteIp: number, remotePort: number, nowNs: number, localPort = 0): number {
    this.nowMs = nowNs / 1e6;
    const s = this.settings;
    if (!Number.isInteger(remoteIp) || remoteIp < 0 || remoteIp > 0xffffffff)
      throw new RangeError(`tcp.connect: remote address ${remoteIp} is not an unsigned 32-bit IPv4 address`);
    if (!Number.isInteger(remotePort) || remotePort < 1 || remotePort > 65535)
      throw new RangeError(`tcp.connect: remote port ${remotePort} is not 1..65535`);
    if (!Number.isInteger(localPort) || localPort < 0 || localPort > 65535)
      throw new RangeError(`tcp.connect: local port ${localPort} is not 0..65535`);
    let port = localPort;
    if (port === 0) {
      const span = s.ephemeralHigh - s.ephemeralLow + 1;
      for (let k = 0; k < span; k++) {
        const p = this.nextPort;
        this.nextPort = p >= s.ephemeralHigh ? s.ephemeralLow : p + 1;
        if (!this.listeners.has(p) && !this.table.lookup(s.localIp, p, remoteIp, remotePort)) {
          port = p;
          break;
        }
      }
      if (port === 0) {
        this.drop(TcpReason.connection_table_full);
        return -1;
      }
    } else if (this.table.lookup(s.localIp, port, remoteIp, remotePort)) return -1;
    const t = this.table.insert(s.localIp, port, remoteIp, remotePort);
    if (!t) {
      this.drop(TcpReason.connection_table_full);
      return -1;
    }
    this.initTcb(t);
    t.peerMac.set(s.gatewayMac);
    t.appKnows = true;
    t.state = TcpState.SYN_SENT;
    t.iss = this.issFor(t);
    t.sndUna = t.iss;
    t.sndNxt = seqAdd(t.iss, 1);
    t.sndEnd = t.sndNxt;
    this.stats.activeOpens++;
    this.timeSegment(t, t.sndNxt);
    this.sendSyn(t, false);
    this.armRtx(t);
    return t.id;
  }

  /**
   * Queues bytes to send (segmented at the MSS, sent as the peer's window allows). Returns the
   * bytes taken, fewer when the send buffer is full (counted `send_buffer_full`), or -1 when the
   * id is stale or the connection can no longer send.
   */
  send(conn: number, src: Uint8Array, off: number, len: number, nowNs: number): number {
    this.nowMs = nowNs / 1e6;
    if (!(off >= 0 && len >= 0 && off + len <= src.length))
      throw new RangeError(`tcp.send: bytes ${off}..${off + len} are outside the ${src.length}-byte source`);
    const t = this.table.get(conn);
    if (!t || t.appClosed || t.finQueued) return -1;
    if (t.state !== TcpState.ESTABLISHED && t.state !== TcpState.CLOSE_WAIT && t.state !== TcpState.SYN_SENT) return -1;
    const pool = this.pool;
    const maxSegs = Math.max(1, Math.ceil(this.settings.sendBufferBytes / t.sendMss));
    let taken = 0;
    // fill the last unsent chunk first, as Linux appends to the tail skb
    if (t.sndUnsent >= 0 && t.sndTail >= 0 && pool.len[t.sndTail] < t.sendMss) {
      const c = t.sndTail;
      const n = Math.min(len, t.sendMss - pool.len[c]);
      copyBytes(src, off, n, pool.data, pool.offset(c) + pool.len[c]);
      pool.len[c] += n;
      taken += n;
    }
    while (taken < len) {
      if (t.sndSegments >= maxSegs) break;
      const c = pool.alloc();
      if (c < 0) break;
      const n = Math.min(len - taken, t.sendMss);
      copyBytes(src, off + taken, n, pool.data, pool.offset(c));
      pool.len[c] = n;
      pool.seq[c] = seqAdd(t.sndEnd, taken);
      if (t.sndTail >= 0) pool.next[t.sndTail] = c;
      else t.sndHead = c;
      t.sndTail = c;
      if (t.sndUnsent < 0) t.sndUnsent = c;
      t.sndSegments++;
      taken += n;
    }
    if (taken < len) {
      this.drop(TcpReason.send_buffer_full);
      t.sendBlocked = true;
    }
    t.sndEnd = seqAdd(t.sndEnd, taken);
    this.transmit(t);
    return taken;
  }

  /** Closes our side: FIN after the queued bytes. False for a stale id or a second close. */
  close(conn: number, nowNs: number): boolean {
    this.nowMs = nowNs / 1e6;
    const t = this.table.get(conn);
    if (!t || t.appClosed) return false;
    t.appClosed = true;
    switch (t.state) {
      case TcpState.SYN_SENT:
        this.free(t, CloseReason.normal);
        return true;
      case TcpState.SYN_RECEIVED: // only after a simultaneous open: nothing was sent, reset it
        this.sendRst(t.localIp, t.localPort, t.remoteIp, t.remotePort, t.peerMac, t.sndNxt, 0, 0);
        this.free(t, CloseReason.aborted);
        return true;
      case TcpState.ESTABLISHED:
        t.state = TcpState.FIN_WAIT_1;
        break;
      case TcpState.CLOSE_WAIT:
        t.state = TcpState.LAST_ACK;
        break;
      default:
        return false;
    }
    t.finQueued = true;
    this.transmit(t);
    return true;
  }

  /** Resets the connection (RST to the peer in synchronized states) and frees it at once. */
  abort(conn: number, nowNs: number): boolean {
    this.nowMs = nowNs / 1e6;
    const t = this.table.get(conn);
    if (!t) return false;
    const st = t.state;
    if (st !== TcpState.SYN_SENT && st !== TcpState.TIME_WAIT && st !== TcpState.CLOSED)
      this.sendRst(t.localIp, t.localPort, t.remoteIp, t.remotePort, t.peerMac, t.sndNxt, 0, 0);
    this.free(t, CloseReason.aborted);
    return true;
  }

  /** Runs the timers due by `nowNs` (retransmission, delayed ACK, TIME_WAIT). */
  tick(nowNs: number): void {
    this.nowMs = nowNs / 1e6;
    this.wheel.advance(this.nowMs, this);
  }

  /** The connection's state; CLOSED for a stale or unknown id. */
  state(conn: number): TcpState {
    const t = this.table.get(conn);
    return t ? t.state : TcpState.CLOSED;
  }

  /** The connection's control block, read-only (tests, describe()); null for a stale id. */
  tcb(conn: number): Readonly<Tcb> | null {
    return this.table.get(conn);
  }

  /** The id of the connection with this 4-tuple (local first), or -1. */
  find(localIp: number, localPort: number, remoteIp: number, remotePort: number): number {
    const t = this.table.lookup(localIp, localPort, remoteIp, remotePort);
    return t ? t.id : -1;
  }

  get connections(): number {
    return this.table.used;
  }

  get freePoolSegments(): number {
    return this.pool.free;
  }

  /** Drops counted by reason name (only the non-zero ones). */
  drops(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let code = 1; code < this.dropCounts.length; code++)
      if (this.dropCounts[code] > 0) out[reasonName(code)] = this.dropCounts[code];
    return out;
  }

  // ---- receiving ----

  /**
   * Takes one received frame. Returns 0 when the segment was consumed, or the reason code it
   * is dropped with (its answer, RST or ACK, already sent where RFC 9293 asks for one).
   */
  input(buf: Uint8Array, off: number, len: number, nowNs: number): number {
    this.nowMs = nowNs / 1e6;
    if (!(off >= 0 && len >= 0 && off + len <= buf.length)) return this.drop(TcpReason.truncated);
    const s = this.seg;
    const r = parseSegment(buf, off, len, s);
    if (r !== 0) return this.drop(r);
    this.stats.segmentsIn++;
    let t = this.table.lookup(s.dstIp, s.dstPort, s.srcIp, s.srcPort);
    // A new SYN beyond what a TIME_WAIT connection received may reopen it (Linux TCP_TW_SYN,
    // RFC 9293 §3.6.1), so a client cycling through its ports is not refused for 60 s.
    if (
      t !== null &&
      t.state === TcpState.TIME_WAIT &&
      (s.flags & (SYN | ACK | RST)) === SYN &&
      seqGt(s.seq, t.rcvNxt) &&
      this.listeners.has(s.dstPort)
    ) {
      this.stats.timeWaitReused++;
      this.free(t, CloseReason.normal);
      t = null;
    }
    if (t === null) return this.noConnection(s);
    if (t.state === TcpState.SYN_SENT) return this.synSent(t, s);
    return this.synchronized(t, s);
  }

  /** RFC 9293 §3.10.7.1 (CLOSED) and §3.10.7.2 (LISTEN). */
  private noConnection(s: TcpSegment): number {
    const l = this.listeners.get(s.dstPort);
    if (!l) {
      if (!(s.flags & RST)) this.resetFor(s);
      return this.drop(TcpReason.closed_port);
    }
    if (s.flags & RST) return this.drop(TcpReason.no_connection);
    if (s.flags & ACK) {
      this.resetFor(s);
      return this.drop(TcpReason.no_connection);
    }
    if (!(s.flags & SYN)) return this.drop(TcpReason.no_connection);
    if (l.synQueueFull) return this.drop(TcpReason.syn_queue_full);
    // Linux drops a SYN while the accept queue is full too (tcp_v4_conn_request)
    if (l.acceptQueueFull) return this.drop(TcpReason.accept_queue_full);
    const t = this.table.insert(s.dstIp, s.dstPort, s.srcIp, s.srcPort);
    if (!t) return this.drop(TcpReason.connection_table_full);
    this.initTcb(t);
    for (let i = 0; i < 6; i++) t.peerMac[i] = s.buf[s.frameOff + 6 + i];
    t.listenPort = l.port;
    l.synCount++;
    t.state = TcpState.SYN_RECEIVED;
    t.irs = s.seq;
    t.rcvNxt = seqAdd(s.seq, 1);
    t.iss = this.issFor(t);
    t.sndUna = t.iss;
    t.sndNxt = seqAdd(t.iss, 1);
    t.sndEnd = t.sndNxt;
    this.negotiate(t, s);
    this.stats.passiveOpens++;
    this.timeSegment(t, t.sndNxt);
    this.sendSyn(t, true);
    this.armRtx(t);
    return 0;
  }

  /** RFC 9293 §3.10.7.3. */
  private synSent(t: Tcb, s: TcpSegment): number {
    const f = s.flags;
    if (f & ACK && (seqLeq(s.ack, t.iss) || seqGt(s.ack, t.sndNxt))) {
      if (!(f & RST)) this.resetFor(s);
      return this.drop(TcpReason.bad_ack);
    }
    if (f & RST) {
      if (!(f & ACK)) return this.drop(TcpReason.rst_ignored);
      this.stats.resetsReceived++;
      this.free(t, CloseReason.refused);
      return 0;
    }
    if (!(f & SYN)) return this.drop(TcpReason.ignored_segment);
    t.irs = s.seq;
    t.rcvNxt = seqAdd(s.seq, 1);
    this.negotiate(t, s);
    if (f & ACK) {
      t.sndWnd = s.window; // never scaled in a SYN (RFC 7323 §2.2)
      t.sndWl1 = s.seq;
      t.sndWl2 = s.ack;
      this.acknowledge(t, s.ack);
      t.state = TcpState.ESTABLISHED;
      this.stats.established++;
      this.sendAck(t);
      const id = t.id;
      this.events.connected(id);
      if (this.alive(t, id)) this.transmit(t);
      return 0;
    }
    // simultaneous open: SYN-RECEIVED, our SYN again with an ACK
    t.state = TcpState.SYN_RECEIVED;
    this.sendSyn(t, true);
    return 0;
  }

  /** RFC 9293 §3.10.7.4: SYN-RECEIVED and every synchronized state. */
  private synchronized(t: Tcb, s: TcpSegment): number {
    const f = s.flags;
    // A retransmitted SYN while our SYN-ACK is out: send the SYN-ACK again (Linux tcp_check_req)
    if (t.state === TcpState.SYN_RECEIVED && (f & (SYN | ACK | RST)) === SYN && s.seq === t.irs) {
      this.stats.duplicateSyns++;
      this.sendSyn(t, true);
      return this.drop(TcpReason.duplicate_segment);
    }
    // first: is the segment acceptable?
    const segLen = s.seqLen;
    const wnd = this.settings.receiveWindow;
    const wndEnd = seqAdd(t.rcvNxt, wnd);
    const ok =
      segLen === 0
        ? seqInRange(s.seq, t.rcvNxt, wndEnd)
        : seqInRange(s.seq, t.rcvNxt, wndEnd) || seqInRange(seqAdd(s.seq, segLen - 1), t.rcvNxt, wndEnd);
    if (!ok) {
      if (f & RST) return this.drop(TcpReason.rst_ignored);
      this.sendAck(t);
      // TIME_WAIT: the peer's FIN again (our last ACK was lost): ACK it and restart 2 MSL
      if (t.state === TcpState.TIME_WAIT && f & FIN)
        this.wheel.schedule(this.timer(t, TIMER_RTX), this.nowMs + this.settings.timeWaitMs);
      return this.drop(
        segLen > 0 && seqLeq(seqAdd(s.seq, segLen), t.rcvNxt) ? TcpReason.duplicate_segment : TcpReason.out_of_window,
      );
    }
    // second: RST. Only one exactly at RCV.NXT resets; others in the window get a challenge ACK
    // (RFC 5961 §3.2, which RFC 9293 §3.10.7.4 recommends)
    if (f & RST) {
      if (s.seq !== t.rcvNxt) {
        this.stats.challengeAcks++;
        this.sendAck(t);
        return this.drop(TcpReason.rst_ignored);
      }
      this.stats.resetsReceived++;
      this.free(t, CloseReason.reset); // SYN-RECEIVED from a listener: the listener stays (LISTEN)
      return 0;
    }
    // fourth: a SYN in the window: challenge ACK (RFC 5961 §4)
    if (f & SYN) {
      this.stats.challengeAcks++;
      this.sendAck(t);
      return this.drop(TcpReason.syn_in_window);
    }
    // fifth: ACK
    if (!(f & ACK)) return this.drop(TcpReason.no_ack_flag);
    // TIME_WAIT has everything acknowledged and its timer is the 2 MSL one: nothing to update
    if (t.state === TcpState.TIME_WAIT) return f & FIN || s.payloadLen > 0 ? this.drop(TcpReason.ignored_segment) : 0;
    if (t.state === TcpState.SYN_RECEIVED) {
      if (!(seqLt(t.sndUna, s.ack) && seqLeq(s.ack, t.sndNxt))) {
        this.resetFor(s);
        return this.drop(TcpReason.bad_ack);
      }
      if (t.listenPort >= 0) {
        const l = this.listeners.get(t.listenPort);
        // accept queue full: Linux ignores the ACK (tcp_abort_on_overflow = 0); the SYN-ACK
        // timer sends the SYN-ACK again and the client's ACK retries
        if (!l || !l.pushAccept(t.id)) return this.drop(TcpReason.accept_queue_full);
        l.synCount--;
        t.queuedForAccept = true;
      }
      t.state = TcpState.ESTABLISHED;
      this.stats.established++;
      t.sndWnd = s.window << t.sndScale;
      t.sndWl1 = s.seq;
      t.sndWl2 = s.ack;
      this.acknowledge(t, s.ack);
      t.appKnows = true;
      const id = t.id;
      if (t.listenPort >= 0) this.events.acceptReady(t.listenPort, id);
      else this.events.connected(id);
      if (!this.alive(t, id)) return 0;
    } else {
      if (seqGt(s.ack, t.sndNxt)) {
        this.sendAck(t);
        return this.drop(TcpReason.bad_ack);
      }
      if (seqGt(s.ack, t.sndUna)) this.acknowledge(t, s.ack);
      if (seqLt(t.sndWl1, s.seq) || (t.sndWl1 === s.seq && seqLeq(t.sndWl2, s.ack))) {
        t.sndWnd = s.window << t.sndScale;
        t.sndWl1 = s.seq;
        t.sndWl2 = s.ack;
      }
      const finAcked = t.finSent && seqGt(t.sndUna, t.finSeq);
      if (t.state === TcpState.FIN_WAIT_1 && finAcked) {
        t.state = TcpState.FIN_WAIT_2;
        // a peer that never sends its FIN must not hold the connection for ever (Linux: an
        // orphaned FIN_WAIT_2 lives tcp_fin_timeout)
        this.wheel.schedule(this.timer(t, TIMER_RTX), this.nowMs + this.settings.finTimeoutMs);
      } else if (t.state === TcpState.CLOSING && finAcked) {
        this.enterTimeWait(t);
        return 0;
      } else if (t.state === TcpState.LAST_ACK && finAcked) {
        this.free(t, CloseReason.normal);
        return 0;
      }
    }
    if (t.tsOk && s.hasTimestamp && seqLeq(s.seq, t.rcvNxt)) t.tsRecent = s.tsVal; // RFC 7323 §4.3
    // seventh and eighth: the text and FIN
    const hasText = s.payloadLen > 0 || (f & FIN) !== 0;
    if (!hasText) {
      this.transmit(t); // the ACK may have opened the window
      return 0;
    }
    const st = t.state;
    if (st !== TcpState.ESTABLISHED && st !== TcpState.FIN_WAIT_1 && st !== TcpState.FIN_WAIT_2)
      return this.drop(TcpReason.ignored_segment); // after the peer's FIN nothing more is taken
    const r = this.receiveText(t, s.buf, s.payloadOff, s.payloadLen, s.seq, (f & FIN) !== 0);
    if (this.alive(t, t.id)) this.transmit(t);
    return r;
  }

  /** In-order bytes to the layer above; later ones to the out-of-order queue; then the ACK. */
  private receiveText(t: Tcb, buf: Uint8Array, off: number, len: number, seq: number, fin: boolean): number {
    const id = t.id;
    const d = seqDiff(seq, t.rcvNxt); // bytes already received at the front
    if (d > 0) {
      off += d;
      len -= d;
      seq = t.rcvNxt;
      if (len < 0) len = 0;
    }
    const room = seqDiff(seq, seqAdd(t.rcvNxt, this.settings.receiveWindow));
    if (len > room) {
      len = room;
      fin = false;
    }
    if (seq !== t.rcvNxt) {
      const r = this.queueOutOfOrder(t, buf, off, len, seq, fin);
      this.sendAck(t); // RFC 5681 §4.2: an out-of-order segment is acknowledged at once
      return r;
    }
    if (len > 0) {
      t.rcvNxt = seqAdd(t.rcvNxt, len);
      this.stats.bytesIn += len;
      this.events.data(id, buf, off, len);
      if (!this.alive(t, id)) return 0;
    }
    if (fin) {
      this.receiveFin(t);
      return 0;
    }
    const filled = t.oooHead >= 0 && this.drainOutOfOrder(t);
    if (!this.alive(t, id)) return 0;
    // Linux __tcp_ack_snd_check: ACK at once when more than one full segment is unacknowledged
    // or a hole was just filled; otherwise the delayed-ACK timer
    const pending = seqDiff(t.lastAckSent, t.rcvNxt);
    if (filled || !this.settings.delayedAck || pending > this.settings.mss - (t.tsOk ? 12 : 0)) this.sendAck(t);
    else if (pending > 0 && !this.wheel.armed(this.timer(t, TIMER_DELACK)))
      this.wheel.schedule(this.timer(t, TIMER_DELACK), this.nowMs + this.settings.delayedAckMs);
    return 0;
  }

  private receiveFin(t: Tcb): void {
    t.rcvNxt = seqAdd(t.rcvNxt, 1);
    this.sendAck(t); // a FIN is acknowledged at once
    switch (t.state) {
      case TcpState.SYN_RECEIVED:
      case TcpState.ESTABLISHED:
        t.state = TcpState.CLOSE_WAIT;
        break;
      case TcpState.FIN_WAIT_1:
        if (t.finSent && seqGt(t.sndUna, t.finSeq)) this.enterTimeWait(t);
        else t.state = TcpState.CLOSING;
        break;
      case TcpState.FIN_WAIT_2:
        this.enterTimeWait(t);
        break;
    }
    // from FIN_WAIT_2 to TIME_WAIT the layer above already closed and heard `closed`
    if (t.inUse && (t.state === TcpState.CLOSE_WAIT || t.state === TcpState.CLOSING)) this.events.peerClosed(t.id);
  }

  /** Keeps a segment beyond RCV.NXT, sorted by sequence number, within the per-connection bound. */
  private queueOutOfOrder(t: Tcb, buf: Uint8Array, off: number, len: number, seq: number, fin: boolean): number {
    const pool = this.pool;
    if (t.oooCount >= this.settings.oooSegments || len > pool.chunkBytes) return this.drop(TcpReason.ooo_queue_full);
    let prev = -1;
    let c = t.oooHead;
    while (c >= 0 && seqLt(pool.seq[c], seq)) {
      prev = c;
      c = pool.next[c];
    }
    if (c >= 0 && pool.seq[c] === seq && pool.len[c] >= len && (pool.fin[c] || !fin))
      return this.drop(TcpReason.duplicate_segment); // already queued
    const n = pool.alloc();
    if (n < 0) return this.drop(TcpReason.ooo_queue_full);
    copyBytes(buf, off, len, pool.data, pool.offset(n));
    pool.seq[n] = seq;
    pool.len[n] = len;
    pool.fin[n] = fin ? 1 : 0;
    pool.next[n] = c;
    if (prev >= 0) pool.next[prev] = n;
    else t.oooHead = n;
    t.oooCount++;
    this.stats.oooQueued++;
    return 0;
  }

  /** Delivers queued segments that RCV.NXT has reached. True when any was delivered. */
  private drainOutOfOrder(t: Tcb): boolean {
    const pool = this.pool;
    const id = t.id;
    let any = false;
    while (t.oooHead >= 0 && seqLeq(pool.seq[t.oooHead], t.rcvNxt)) {
      const c = t.oooHead;
      t.oooHead = pool.next[c];
      t.oooCount--;
      const skip = seqDiff(pool.seq[c], t.rcvNxt);
      const len = pool.len[c] - skip;
      const fin = pool.fin[c] === 1;
      if (len > 0 || (fin && len === 0)) {
        any = true;
        if (len > 0) {
          t.rcvNxt = seqAdd(t.rcvNxt, len);
          this.stats.bytesIn += len;
          this.events.data(id, pool.data, pool.offset(c) + skip, len);
        }
        pool.release(c);
        if (!this.alive(t, id)) return true;
        if (fin) {
          this.receiveFin(t);
          return true;
        }
      } else pool.release(c); // wholly behind RCV.NXT already
    }
    return any;
  }

  // ---- acknowledgments and sending ----

  /** SND.UNA moves to `ack`: frees what it covers, takes an RTT sample, resets the backoff. */
  private acknowledge(t: Tcb, ack: number): void {
    const pool = this.pool;
    t.sndUna = ack;
    while (t.sndHead >= 0) {
      const c = t.sndHead;
      const end = seqAdd(pool.seq[c], pool.len[c]);
      if (seqLeq(end, ack) && c !== t.sndUnsent) {
        t.sndHead = pool.next[c];
        if (t.sndHead < 0) t.sndTail = -1;
        t.sndSegments--;
        pool.release(c);
      } else {
        if (seqLt(pool.seq[c], ack) && c !== t.sndUnsent) {
          const d = seqDiff(pool.seq[c], ack);
          pool.start[c] += d;
          pool.len[c] -= d;
          pool.seq[c] = ack;
        }
        break;
      }
    }
    if (t.rttStartMs >= 0 && seqGeq(ack, t.rttSeq)) {
      // a caller's clock that steps back must not make a negative sample
      t.rto.sample(Math.max(0, this.nowMs - t.rttStartMs), this.settings.rtoMinMs, this.settings.rtoMaxMs);
      t.rttStartMs = -1;
    }
    t.rto.backoff = 0;
    t.retransmits = 0;
    // RFC 6298 §5.2/§5.3: stop the timer when all is acknowledged, else restart it
    if (t.sndUna === t.sndNxt) this.wheel.cancel(this.timer(t, TIMER_RTX));
    else this.armRtx(t);
    if (t.sendBlocked && this.events.writable) {
      t.sendBlocked = false;
      this.events.writable(t.id);
    }
  }

  /** Sends queued segments the peer's window has room for, then the FIN once all are out. */
  private transmit(t: Tcb): void {
    const st = t.state;
    if (
      st !== TcpState.ESTABLISHED &&
      st !== TcpState.CLOSE_WAIT &&
      st !== TcpState.FIN_WAIT_1 &&
      st !== TcpState.LAST_ACK
    )
      return;
    const pool = this.pool;
    const wndEnd = seqAdd(t.sndUna, t.sndWnd);
    while (t.sndUnsent >= 0) {
      const c = t.sndUnsent;
      const end = seqAdd(pool.seq[c], pool.len[c]);
      if (seqGt(end, wndEnd)) break; // no room in the peer's window (no persist probe: see README)
      this.sendData(t, c);
      t.sndNxt = end;
      t.sndUnsent = pool.next[c];
      if (t.rttStartMs < 0 && t.retransmits === 0) this.timeSegment(t, end);
      if (!this.wheel.armed(this.timer(t, TIMER_RTX))) this.armRtx(t);
    }
    if (t.finQueued && !t.finSent && t.sndUnsent < 0) {
      t.finSeq = t.sndNxt;
      t.finSent = true;
      t.sndNxt = seqAdd(t.sndNxt, 1);
      this.output(t, FIN | ACK, t.finSeq, null, 0, 0);
      if (!this.wheel.armed(this.timer(t, TIMER_RTX))) this.armRtx(t);
    }
  }

  private sendData(t: Tcb, c: number): void {
    const pool = this.pool;
    this.stats.bytesOut += pool.len[c];
    this.output(t, ACK | PSH, pool.seq[c], pool.data, pool.offset(c), pool.len[c]);
  }

  private sendAck(t: Tcb): void {
    this.output(t, ACK, t.sndNxt, null, 0, 0);
  }

  /** SYN (connect) or SYN-ACK (listener, simultaneous open), with our options. */
  private sendSyn(t: Tcb, withAck: boolean): void {
    const sp = this.prepare(t, withAck ? SYN | ACK : SYN, t.iss);
    const s = this.settings;
    sp.window = Math.min(s.receiveWindow, 0xffff);
    sp.mss = s.mss;
    if (withAck) {
      sp.ack = t.rcvNxt;
      if (t.wsOk) sp.wscale = s.windowScale;
      sp.sackPermitted = t.sackOk;
      sp.timestamp = t.tsOk;
    } else {
      sp.ack = 0;
      sp.wscale = s.windowScale;
      sp.sackPermitted = s.sackPermitted;
      sp.timestamp = s.timestamps;
      sp.tsEcr = 0;
    }
    this.emit(sp);
    if (withAck) t.lastAckSent = t.rcvNxt;
  }

  /** A segment of an established connection: addresses, ACK, window and timestamps from `t`. */
  private output(t: Tcb, flags: number, seq: number, payload: Uint8Array | null, off: number, len: number): void {
    const sp = this.prepare(t, flags, seq);
    sp.ack = flags & ACK ? t.rcvNxt : 0;
    sp.window = Math.min(this.settings.receiveWindow >>> t.rcvScale, 0xffff);
    sp.timestamp = t.tsOk;
    sp.payload = payload;
    sp.payloadOff = off;
    sp.payloadLen = len;
    this.emit(sp);
    if (flags & ACK) {
      t.lastAckSent = t.rcvNxt;
      this.wheel.cancel(this.timer(t, TIMER_DELACK)); // the ACK went out with this segment
    }
  }

  private prepare(t: Tcb, flags: number, seq: number): SegmentSpec {
    const sp = this.spec;
    sp.clearOptions();
    sp.srcMac = this.settings.localMac;
    sp.dstMac = t.peerMac;
    sp.srcIp = t.localIp;
    sp.dstIp = t.remoteIp;
    sp.srcPort = t.localPort;
    sp.dstPort = t.remotePort;
    sp.flags = flags;
    sp.seq = seq;
    sp.tsVal = Math.floor(this.nowMs) >>> 0; // a 1 ms timestamp clock, as Linux's jiffies at HZ=1000
    sp.tsEcr = t.tsRecent;
    return sp;
  }

  /** RST answering a segment that has no connection (RFC 9293 §3.10.7.1). */
  private resetFor(s: TcpSegment): void {
    const mac = this.macScratch;
    for (let i = 0; i < 6; i++) mac[i] = s.buf[s.frameOff + 6 + i];
    if (s.flags & ACK) this.sendRst(s.dstIp, s.dstPort, s.srcIp, s.srcPort, mac, s.ack, 0, RST);
    else this.sendRst(s.dstIp, s.dstPort, s.srcIp, s.srcPort, mac, 0, seqAdd(s.seq, s.seqLen), RST | ACK);
  }
  private sendRst(
    lip: number,
    lport: number,
    rip: number,
    rport: number,
    mac: Uint8Array,
    seq: number,
    ack: number,
    flags: number,
  ): void {
    const sp = this.spec;
    sp.clearOptions();
    sp.srcMac = this.settings.localMac;
    sp.dstMac = mac;
    sp.srcIp = lip;
    sp.dstIp = rip;
    sp.srcPort = lport;
    sp.dstPort = rport;
    sp.seq = seq;
    sp.ack = ack;
    sp.flags = flags === 0 ? RST : flags;
    sp.window = 0;
    this.stats.resetsSent++;
    this.emit(sp);
  }

  private emit(sp: SegmentSpec): void {
    sp.ipId = this.ipId = (this.ipId + 1) & 0xffff;
    const len = segmentFrameLength(sp);
    const slot = this.slot;
    if (!this.sink.reserve(len, slot)) {
      this.drop(TcpReason.tx_no_room);
      return;
    }
    buildSegment(slot.buf, slot.off, sp);
    this.sink.commit(slot, len);
    this.stats.segmentsOut++;
  }

  // ---- timers ----

  onTimer(timer: number): void {
    const t = this.table.tcbs[(timer / TIMERS_PER_CONN) | 0];
    if (!t.inUse) return;
    if (timer % TIMERS_PER_CONN === TIMER_DELACK) {
      if (t.rcvNxt !== t.lastAckSent) {
        this.stats.delayedAcks++;
        this.sendAck(t);
      }
      return;
    }
    const s = this.settings;
    switch (t.state) {
      case TcpState.TIME_WAIT:
        this.stats.timeWaitExpired++;
        this.free(t, CloseReason.normal);
        return;
      case TcpState.SYN_SENT:
        if (t.retransmits >= s.synRetries) {
          this.drop(TcpReason.retransmit_limit);
          this.free(t, CloseReason.timeout);
          return;
        }
        this.backOff(t);
        this.sendSyn(t, false);
        this.armRtx(t);
        return;
      case TcpState.FIN_WAIT_2:
        this.drop(TcpReason.fin_wait2_timeout);
        this.free(t, CloseReason.timeout);
        return;
      case TcpState.SYN_RECEIVED:
        if (t.retransmits >= s.synAckRetries) {
          this.drop(TcpReason.synack_timeout);
          this.free(t, CloseReason.timeout);
          return;
        }
        this.backOff(t);
        this.stats.synAckRetransmits++;
        this.sendSyn(t, true);
        this.armRtx(t);
        return;
    }
    if (t.sndUna === t.sndNxt) return; // nothing outstanding
    if (t.retransmits >= s.retries2) {
      this.drop(TcpReason.retransmit_limit);
      this.free(t, CloseReason.timeout);
      return;
    }
    this.backOff(t);
    // the oldest unacknowledged segment again (RFC 6298 §5.4), or the FIN when only it is out
    if (t.sndHead >= 0 && t.sndHead !== t.sndUnsent) this.sendData(t, t.sndHead);
    else if (t.finSent) this.output(t, FIN | ACK, t.finSeq, null, 0, 0);
    this.armRtx(t);
  }

  /** Times one segment for an RTT sample: the one whose acknowledgment reaches `endSeq`. */
  private timeSegment(t: Tcb, endSeq: number): void {
    t.rttSeq = endSeq;
    t.rttStartMs = this.nowMs;
  }

  private backOff(t: Tcb): void {
    t.retransmits++;
    t.rto.backoff++;
    t.rttStartMs = -1; // Karn: no sample from a retransmitted segment
    this.stats.retransmits++;
  }

  private armRtx(t: Tcb): void {
    this.wheel.schedule(this.timer(t, TIMER_RTX), this.nowMs + t.rto.currentMs(this.settings.rtoMaxMs));
  }

  private timer(t: Tcb, kind: number): number {
    return this.table.slotOf(t) * TIMERS_PER_CONN + kind;
  }

  // ---- life cycle ----

  private initTcb(t: Tcb): void {
    t.state = TcpState.CLOSED;
    t.listenPort = -1;
    t.queuedForAccept = false;
    t.appClosed = false;
    t.appKnows = false;
    t.sndWnd = 0;
    t.sndWl1 = 0;
    t.sndWl2 = 0;
    t.sndScale = 0;
    t.rcvScale = 0;
    t.wsOk = false;
    t.tsOk = false;
    t.tsRecent = 0;
    t.sackOk = false;
    t.sendMss = this.settings.defaultPeerMss;
    t.sndHead = -1;
    t.sndTail = -1;
    t.sndSegments = 0;
    t.sndUnsent = -1;
    t.finQueued = false;
    t.finSent = false;
    t.finSeq = 0;
    t.sendBlocked = false;
    t.oooHead = -1;
    t.oooCount = 0;
    t.lastAckSent = 0;
    t.rto.reset(this.settings.rtoInitialMs);
    t.retransmits = 0;
    t.rttStartMs = -1;
  }

  /** Options from the peer's SYN or SYN-ACK (RFC 9293 §3.7.1, RFC 7323 §2.2 and §3.2). */
  private negotiate(t: Tcb, s: TcpSegment): void {
    const st = this.settings;
    t.wsOk = s.wscale >= 0;
    t.sndScale = t.wsOk ? s.wscale : 0;
    t.rcvScale = t.wsOk ? st.windowScale : 0;
    t.tsOk = st.timestamps && s.hasTimestamp;
    if (t.tsOk) t.tsRecent = s.tsVal;
    t.sackOk = st.sackPermitted && s.sackPermitted;
    const peerMss = s.mss >= 0 ? s.mss : st.defaultPeerMss;
    t.sendMss = Math.min(peerMss, st.mss) - (t.tsOk ? 12 : 0);
    t.sndWnd = s.window;
    t.sndWl1 = s.seq;
  }

  private enterTimeWait(t: Tcb): void {
    this.releaseQueues(t);
    this.wheel.cancel(this.timer(t, TIMER_DELACK));
    const id = t.id;
    const told = t.appKnows;
    t.appKnows = false;
    if (this.timeWaitCount >= this.settings.maxTwBuckets) {
      // Linux: "time wait bucket table overflow", the socket is closed without TIME_WAIT
      this.drop(TcpReason.tw_bucket_overflow);
      this.free(t, CloseReason.normal);
    } else {
      t.state = TcpState.TIME_WAIT;
      this.timeWaitCount++;
      this.stats.timeWaitEntered++;
      this.wheel.schedule(this.timer(t, TIMER_RTX), this.nowMs + this.settings.timeWaitMs);
    }
    if (told) this.events.closed(id, CloseReason.normal);
  }

  private releaseQueues(t: Tcb): void {
    this.pool.releaseList(t.sndHead);
    t.sndHead = t.sndTail = t.sndUnsent = -1;
    t.sndSegments = 0;
    this.pool.releaseList(t.oooHead);
    t.oooHead = -1;
    t.oooCount = 0;
  }

  private free(t: Tcb, reason: CloseReasonCode): void {
    this.wheel.cancel(this.timer(t, TIMER_RTX));
    this.wheel.cancel(this.timer(t, TIMER_DELACK));
    this.releaseQueues(t);
    if (t.state === TcpState.SYN_RECEIVED && t.listenPort >= 0) {
      const l = this.listeners.get(t.listenPort);
      if (l) l.synCount--;
    }
    if (t.state === TcpState.TIME_WAIT) this.timeWaitCount--;
    const id = t.id;
    const told = t.appKnows;
    t.state = TcpState.CLOSED;
    t.appKnows = false;
    this.table.remove(t);
    if (told) this.events.closed(id, reason);
  }

  private alive(t: Tcb, id: number): boolean {
    return t.inUse && t.id === id;
  }

  private drop(code: number): number {
    if (code < this.dropCounts.length) this.dropCounts[code]++;
    return code;
  }

  /** RFC 9293 §3.4.1: ISN = M + F(4-tuple, key), M a 4 µs clock, F a keyed hash. */
  private issFor(t: Tcb): number {
    const s = this.settings;
    if (s.issFor) return s.issFor(t.localIp, t.localPort, t.remoteIp, t.remotePort, this.nowMs * 1e6) >>> 0;
    const k = this.key;
    let h = Math.imul(t.localIp ^ k[0], 0x9e3779b1);
    h = Math.imul(h ^ t.remoteIp ^ k[1], 0x85ebca6b);
    h = Math.imul(h ^ ((t.localPort << 16) | t.remotePort) ^ k[2], 0xc2b2ae35);
    h ^= (h >>> 16) ^ k[3];
    return (Math.floor(this.nowMs * 250) + h) >>> 0;
  }
}
