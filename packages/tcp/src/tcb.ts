// The transmission control block of RFC 9293 §3.3.1: one preallocated object per connection
// table slot, reset when the slot is reused.

import { Rto } from './rto';

export enum TcpState {
  CLOSED = 0,
  LISTEN = 1,
  SYN_SENT = 2,
  SYN_RECEIVED = 3,
  ESTABLISHED = 4,
  FIN_WAIT_1 = 5,
  FIN_WAIT_2 = 6,
  CLOSE_WAIT = 7,
  CLOSING = 8,
  LAST_ACK = 9,
  TIME_WAIT = 10,
}

export const STATE_NAMES = [
  'CLOSED',
  'LISTEN',
  'SYN_SENT',
  'SYN_RECEIVED',
  'ESTABLISHED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
  'CLOSING',
  'LAST_ACK',
  'TIME_WAIT',
] as const;

export class Tcb {
  /** Connection id (slot + generation); valid while inUse. */
  id = 0;
  inUse = false;
  state: TcpState = TcpState.CLOSED;
  localIp = 0;
  localPort = 0;
  remoteIp = 0;
  remotePort = 0;
  readonly peerMac = new Uint8Array(6);
  /** Opened by a listener (passive OPEN); its port, or -1 for connect(). */
  listenPort = -1;
  /** Sitting in its listener's accept queue (not yet taken by accept()). */
  queuedForAccept = false;
  /** The application called close() or abort(): send/close refuse the id from then on. */
  appClosed = false;
  /** The layer above was told about this connection (connect(), or established on a listener). */
  appKnows = false;

  iss = 0;
  irs = 0;
  sndUna = 0;
  sndNxt = 0;
  /** The peer's window in bytes (scaled). */
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** Shift applied to the peer's window field, and to ours (0 unless both sent WS). */
  sndScale = 0;
  rcvScale = 0;
  rcvNxt = 0;
  /** Payload bytes per segment we send: the peer's MSS less our options. */
  sendMss = 536;
  tsOk = false;
  tsRecent = 0;
  sackOk = false;

  /** Send queue in the segment pool: head (oldest unacknowledged) and tail; segments count. */
  sndHead = -1;
  sndTail = -1;
  sndSegments = 0;
  /** First chunk not yet transmitted (-1: all sent), and the sequence after the last queued byte. */
  sndUnsent = -1;
  sndEnd = 0;
  /** close() asked for a FIN; it goes out once the queue is sent, at finSeq. */
  finQueued = false;
  finSent = false;
  finSeq = 0;
  /** A send() took less than it was given: `writable` is owed when an ACK frees room. */
  sendBlocked = false;

  /** Out-of-order queue in the pool, sorted by sequence number. */
  oooHead = -1;
  oooCount = 0;

  /** RCV.NXT as our last ACK carried it: an ACK is owed while rcvNxt differs. */
  lastAckSent = 0;
  /** Both sides sent window scale (RFC 7323 §2.2). */
  wsOk = false;
  readonly rto = new Rto();
  /** Retransmissions of the current head since it was last acknowledged. */
  retransmits = 0;
  /** RTT timing of one segment (Karn): the sequence that ends it and when it was sent; -1 none. */
  rttSeq = 0;
  rttStartMs = -1;
}
