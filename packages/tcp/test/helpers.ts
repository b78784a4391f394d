// Two endpoints of this library on an in-memory wire: every frame each one transmits is kept,
// so a test can read it (flags, seq, ack, options), lose it, reorder it or hand it to the peer.

import { ipFromString } from '@vnflab/core';
import {
  type FrameSlot,
  TcpEndpoint,
  type TcpEvents,
  TcpSegment,
  type TcpSettings,
  type TcpSink,
  parseSegment,
} from '@vnflab/tcp';

export const CLIENT_IP = ipFromString('10.0.0.1');
export const SERVER_IP = ipFromString('10.0.0.2');
export const MS = 1e6;
/** A monotonic clock far from zero, as CLOCK_MONOTONIC is. */
export const T0 = 5_000_000 * MS;

/** Keeps every transmitted frame (a copy), in order. */
export class Capture implements TcpSink {
  readonly frames: Buffer[] = [];
  private readonly scratch = Buffer.alloc(2048);
  refuse = false;
  reserve(len: number, slot: FrameSlot): boolean {
    if (this.refuse || len > this.scratch.length) return false;
    slot.buf = this.scratch;
    slot.off = 0;
    return true;
  }
  commit(_slot: FrameSlot, len: number): void {
    this.frames.push(Buffer.from(this.scratch.subarray(0, len)));
  }
  /** The frames sent since the last take(). */
  take(): Buffer[] {
    return this.frames.splice(0, this.frames.length);
  }
}

/** Logs every event as text and keeps the bytes each connection received. */
export class Recorder implements TcpEvents {
  readonly log: string[] = [];
  readonly bytes = new Map<number, Buffer>();
  onData?: (conn: number) => void;
  connected(conn: number): void {
    this.log.push(`connected ${conn}`);
  }
  acceptReady(port: number, conn: number): void {
    this.log.push(`acceptReady ${port} ${conn}`);
  }
  data(conn: number, buf: Uint8Array, off: number, len: number): void {
    this.bytes.set(
      conn,
      Buffer.concat([this.bytes.get(conn) ?? Buffer.alloc(0), Buffer.from(buf.subarray(off, off + len))]),
    );
    this.log.push(`data ${conn} ${len}`);
    this.onData?.(conn);
  }
  peerClosed(conn: number): void {
    this.log.push(`peerClosed ${conn}`);
  }
  closed(conn: number, reason: number): void {
    this.log.push(`closed ${conn} ${reason}`);
  }
  take(): string[] {
    return this.log.splice(0, this.log.length);
  }
}

export interface Seg {
  flags: string;
  seq: number;
  ack: number;
  len: number;
  win: number;
  mss: number;
  wscale: number;
  sackPermitted: boolean;
  ts: boolean;
  tsVal: number;
  tsEcr: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

/** A frame's TCP header as text flags (F S R P A in that order) and numbers; throws on a bad frame. */
export function seg(frame: Buffer): Seg {
  const s = new TcpSegment();
  const r = parseSegment(frame, 0, frame.length, s);
  if (r !== 0) throw new Error(`frame does not parse: reason ${r}`);
  let flags = '';
  if (s.flags & 0x02) flags += 'S';
  if (s.flags & 0x01) flags += 'F';
  if (s.flags & 0x04) flags += 'R';
  if (s.flags & 0x08) flags += 'P';
  if (s.flags & 0x10) flags += 'A';
  return {
    flags,
    seq: s.seq,
    ack: s.ack,
    len: s.payloadLen,
    win: s.window,
    mss: s.mss,
    wscale: s.wscale,
    sackPermitted: s.sackPermitted,
    ts: s.hasTimestamp,
    tsVal: s.tsVal,
    tsEcr: s.tsEcr,
    srcPort: s.srcPort,
    dstPort: s.dstPort,
    payload: Buffer.from(frame.subarray(s.payloadOff, s.payloadOff + s.payloadLen)),
  };
}

/** [flags, seq, ack, payload length] of each frame: what the hand-worked exchanges compare. */
export function brief(frames: Buffer[]): [string, number, number, number][] {
  return frames.map((f) => {
    const s = seg(f);
    return [s.flags, s.seq, s.ack, s.len];
  });
}

export interface Pair {
  client: TcpEndpoint;
  server: TcpEndpoint;
  cw: Capture;
  sw: Capture;
  ce: Recorder;
  se: Recorder;
  /** Hands frames to an endpoint; returns each verdict. */
  toServer(frames: Buffer[], nowNs: number): number[];
  toClient(frames: Buffer[], nowNs: number): number[];
}

export const CLIENT_ISS = 1000;
export const SERVER_ISS = 5000;

/** A client endpoint and a server endpoint listening on port 80, ISS fixed for hand-worked numbers. */
export function pair(client: Partial<TcpSettings> = {}, server: Partial<TcpSettings> = {}, backlog?: number): Pair {
  const cw = new Capture();
  const sw = new Capture();
  const ce = new Recorder();
  const se = new Recorder();
  const small = { maxConnections: 256, poolSegments: 512 };
  const c = new TcpEndpoint({ localIp: CLIENT_IP, issFor: () => CLIENT_ISS, ...small, ...client }, cw, ce);
  const s = new TcpEndpoint({ localIp: SERVER_IP, issFor: () => SERVER_ISS, ...small, ...server }, sw, se);
  s.listen(80, backlog);
  return {
    client: c,
    server: s,
    cw,
    sw,
    ce,
    se,
    toServer: (frames, now) => frames.map((f) => s.input(f, 0, f.length, now)),
    toClient: (frames, now) => frames.map((f) => c.input(f, 0, f.length, now)),
  };
}

/** Connects client to server port 80 (SYN, SYN-ACK, ACK at T0) and accepts; returns both ids. */
export function establish(p: Pair, now = T0, localPort = 40000): { c: number; s: number } {
  const c = p.client.connect(SERVER_IP, 80, now, localPort);
  p.toServer(p.cw.take(), now);
  p.toClient(p.sw.take(), now);
  p.toServer(p.cw.take(), now);
  const s = p.server.accept(80);
  if (c < 0 || s < 0) throw new Error('handshake failed');
  p.ce.take();
  p.se.take();
  return { c, s };
}
