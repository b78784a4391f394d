// The client against a server built on the same TCP library, on a virtual clock: each step
// fills a batch from the client, hands its frames to the server endpoint, and returns what the
// server transmitted to the client's receive(), as the closed-loop runtime will. The server is a
// lighttpd in miniature: it reads a request to its blank line and answers 200 with a 64-byte
// body and Content-Length, closing first unless the request asked for keep-alive.

import {
  Batch,
  Costs,
  DELIVERED,
  StageStats,
  ipFromString,
  loadProfile,
  silentLogger,
  type ElementContext,
} from '@vnflab/core';
import { type FrameSlot, TcpEndpoint, type TcpEvents, type TcpSink } from '@vnflab/tcp';
import { HttpClient } from '../src';

export const SERVER = '10.0.0.100';
export const SERVER_IP = ipFromString(SERVER);
export const MS = 1e6;
/** A monotonic clock far from zero, as CLOCK_MONOTONIC is. */
export const T0 = 7_000_000 * MS;

const BODY = Buffer.alloc(64, 0x78);

/** A context as a runner gives the source (no outbox: a source's frames leave through fill). */
export function sourceCtx(): ElementContext {
  return { stats: new StageStats('http-client', 'ab'), costs: new Costs(loadProfile('zero')), log: silentLogger };
}

export type ServerMode =
  /** Answers every request. */
  | 'serve'
  /** Listens on nothing: each SYN gets RST,ACK (closed port). */
  | 'refuse'
  /** Never answers: frames to it vanish. */
  | 'silent'
  /** Accepts, then resets each connection when its request arrives. */
  | 'reset'
  /** Answers with a response that is not HTTP. */
  | 'garbage';

class Frames implements TcpSink {
  readonly frames: Buffer[] = [];
  private readonly scratch = Buffer.alloc(2048);
  reserve(_len: number, slot: FrameSlot): boolean {
    slot.buf = this.scratch;
    slot.off = 0;
    return true;
  }
  commit(_slot: FrameSlot, len: number): void {
    this.frames.push(Buffer.from(this.scratch.subarray(0, len)));
  }
}

export class TestServer implements TcpEvents {
  readonly out = new Frames();
  readonly tcp: TcpEndpoint;
  private readonly got = new Map<number, string>();
  private readonly served = new Map<number, number>();
  requests = 0;
  keepAliveRequests = 0;
  now = T0;

  constructor(
    readonly mode: ServerMode,
    /** Most requests one connection may carry before the server closes it (lighttpd: 100). */
    readonly maxKeepAlive = 100,
  ) {
    this.tcp = new TcpEndpoint({ localIp: SERVER_IP, maxConnections: 32768, poolSegments: 4096 }, this.out, this);
    if (mode !== 'refuse') this.tcp.listen(80, 1024);
  }

  connected(): void {}
  acceptReady(port: number): void {
    this.tcp.accept(port);
  }
  data(conn: number, buf: Uint8Array, off: number, len: number): void {
    const text = (this.got.get(conn) ?? '') + Buffer.from(buf.subarray(off, off + len)).toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) {
      this.got.set(conn, text);
      return;
    }
    this.got.set(conn, text.slice(end + 4));
    const request = text.slice(0, end);
    this.requests++;
    if (this.mode === 'reset') {
      this.tcp.abort(conn, this.now);
      return;
    }
    const served = (this.served.get(conn) ?? 0) + 1;
    this.served.set(conn, served);
    const http11 = / HTTP\/1\.1\r\n/.test(request);
    const keep = http11 && !/\r\nConnection: close/i.test(request) && served < this.maxKeepAlive;
    if (keep) this.keepAliveRequests++;
    const head =
      this.mode === 'garbage'
        ? 'SSH-2.0-OpenSSH_9.6\r\n\r\n'
        : `HTTP/1.${http11 ? 1 : 0} 200 OK\r\nServer: test\r\nContent-Length: ${BODY.length}\r\nConnection: ${keep ? 'keep-alive' : 'close'}\r\n\r\n`;
    const bytes = Buffer.concat([Buffer.from(head, 'latin1'), BODY]);
    this.tcp.send(conn, bytes, 0, bytes.length, this.now);
    if (!keep) this.tcp.close(conn, this.now);
  }
  peerClosed(conn: number): void {
    this.tcp.close(conn, this.now);
  }
  closed(conn: number): void {
    this.got.delete(conn);
    this.served.delete(conn);
  }

  /** Takes one client frame; false when it vanished (silent mode). */
  input(f: Buffer, now: number): number {
    this.now = now;
    if (this.mode === 'silent') return -1;
    return this.tcp.input(f, 0, f.length, now);
  }
}

export interface RunResult {
  /** Every frame the client emitted, in order, with the virtual time it left. */
  clientFrames: { at: number; frame: Buffer }[];
  serverFrames: { at: number; frame: Buffer }[];
  /** Frames the client's receive() dropped, by reason code, and the ones it consumed. */
  clientDrops: Map<number, number>;
  clientDelivered: number;
  endNs: number;
  steps: number;
  /** Client frames the wire lost. */
  lost: number;
}

/**
 * Runs the client against `server` until it is done (or `maxMs` of virtual time): each step one
 * fill, the frames through the server, its answers back. Time moves 50 µs per busy step and by the
 * client's waitMs when nothing moved.
 */
export function runLoop(
  client: HttpClient,
  server: TestServer,
  maxMs = 120_000,
  batchSize = 64,
  /** Frames (by their index among the client's) the wire loses on the way to the server. */
  lose: (index: number) => boolean = () => false,
): RunResult {
  let now = T0;
  const r: RunResult = {
    clientFrames: [],
    serverFrames: [],
    clientDrops: new Map(),
    clientDelivered: 0,
    endNs: now,
    steps: 0,
    lost: 0,
  };
  let emitted = 0;
  const ctx = sourceCtx();
  while (!client.done && now - T0 < maxMs * MS) {
    r.steps++;
    const b = Batch.allocate(batchSize, 1518);
    const n = client.fill(b, now, ctx);
    expect(n).toBe(b.count);
    for (let i = 0; i < b.count; i++) {
      const f = Buffer.from(b.buf.subarray(b.offset(i), b.offset(i) + b.length(i)));
      if (lose(emitted++)) {
        r.lost++;
        continue;
      }
      r.clientFrames.push({ at: now, frame: f });
      server.input(f, now);
    }
    server.now = now;
    server.tcp.tick(now);
    const back = server.out.frames.splice(0);
    for (let k = 0; k < back.length; k += batchSize) {
      const rb = Batch.allocate(batchSize, 1518);
      for (const f of back.slice(k, k + batchSize)) {
        r.serverFrames.push({ at: now, frame: f });
        const i = rb.append(f.length);
        f.copy(rb.buf, rb.offset(i));
      }
      client.receive(rb, now, ctx);
      for (let i = 0; i < rb.count; i++) {
        // every frame that came back is delivered (consumed by the client's TCP) or dropped
        expect(rb.alive(i)).toBe(false);
        if (rb.reason(i) === DELIVERED) r.clientDelivered++;
        else r.clientDrops.set(rb.reason(i), (r.clientDrops.get(rb.reason(i)) ?? 0) + 1);
      }
    }
    if (n === 0 && back.length === 0) now += Math.max(0.05, Math.min(client.waitMs(now), 50)) * MS;
    else now += 0.05 * MS;
  }
  r.endNs = now;
  return r;
}
