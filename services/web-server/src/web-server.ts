// The lighttpd-like application at the end of the web chain. It takes the records the socket
// layer produced for it (a connection accepted, bytes read, end of stream), parses requests out
// of each connection's bytes, and answers with write or write_close records sent back toward the
// client (ctx.out.back()). One thread, as lighttpd runs; all its work is application CPU (the
// manifest's default category, `app`).
//
// A connection keeps no buffer while its requests arrive whole, the usual case: they are parsed
// where they lie. Only the unfinished tail of a record is copied into the connection's own buffer
// (at most max_request_bytes, taken once from the pool and kept), to be completed by the next.

import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, Element, ElementContext, MetricDeclaration, StageStats } from '@vnflab/core';
import { DateCache } from './date-cache';
import { CONNECTION_CLOSE, CONNECTION_KEEP_ALIVE, CRLF, DocRoot, type Prebuilt } from './docroot';
import { Ev } from './events';
import { Method, RequestHead, findCrlf, findHeadEnd, parseHead } from './http-request';
import { RECORD_HEADER_LEN, RecordOp, RecordView, appendRecord, readRecord, writeRecordHeader } from './records';
import { deliverOf, outboxOf, type RecordOutbox } from './runtime-seam';
import { resolveSettings, type Variant } from './settings';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { reasonCode } = core;

/** Drop reasons of records this stage refuses (malformed, or for no connection it has). */
export const WEB_REASONS = [
  'record_truncated',
  'record_bad_op',
  'record_bad_length',
  'unknown_connection',
  'unexpected_record',
] as const;
const R = Object.fromEntries(WEB_REASONS.map((r) => [r, reasonCode(r)])) as Record<
  (typeof WEB_REASONS)[number],
  number
>;

/** What a response is counted under, with its status. */
export const RESPONSE_REASONS = [
  ['ok', 200],
  ['not_found', 404],
  ['bad_request_line', 400],
  ['bad_target', 400],
  ['bad_version', 400],
  ['bad_header', 400],
  ['bad_host', 400],
  ['method_not_allowed', 405],
  ['uri_too_long', 414],
  ['header_too_large', 431],
] as const;
type ResponseReason = (typeof RESPONSE_REASONS)[number][0];
const RESPONSE_INDEX = Object.fromEntries(RESPONSE_REASONS.map(([r], k) => [r, k])) as Record<ResponseReason, number>;

/**
 * Payload bytes per write record: a record fits a batch slot of a standard 1518-byte frame, the
 * size batches are allocated for (packages/core/src/batch/batch.ts).
 */
export const MAX_WRITE_PAYLOAD = 1518 - RECORD_HEADER_LEN;

export const WEB_METRICS: readonly MetricDeclaration[] = [
  {
    name: 'vnflab_web_responses_total',
    help: 'Responses the web server sent, by status and by what decided it',
    type: 'counter',
  },
  { name: 'vnflab_web_connections', help: 'Connections the web server has open now', type: 'gauge' },
];

class Conn {
  fd = 0;
  conn = 0;
  /** Requests served on this connection. */
  served = 0;
  /** The unfinished tail of a request (from the pool, kept across reuses). */
  buf: Buffer | null = null;
  len = 0;
}

export interface WebServerOptions {
  /** Wall clock in ms (the Date header); Date.now by default. */
  clock?: () => number;
}

export class WebServer implements Element {
  readonly stage = 'web-server';
  readonly variant: Variant;
  readonly docroot: DocRoot;
  readonly dates = new DateCache();
  readonly maxRequestBytes: number;
  readonly maxKeepAliveRequests: number;
  readonly maxConnections: number;
  accepted = 0;
  /** Connections closed at accept because max_connections were open. */
  refused = 0;
  /** Connections whose client closed first (eof). */
  peerClosed = 0;
  requests = 0;
  readonly responses: Float64Array = new Float64Array(RESPONSE_REASONS.length);
  private readonly byFd: (Conn | null)[] = new Array<Conn | null>(0x10000).fill(null);
  private readonly free: Conn[] = [];
  private open = 0;
  private readonly rec = new RecordView();
  private readonly head = new RequestHead();
  private readonly pieces: Buffer[] = [];
  private readonly clock: () => number;
  // per process() call
  private out: RecordOutbox | null = null;
  private stats: StageStats | null = null;
  private nowMs = 0;

  constructor(variant: string = 'lighttpd', settings: unknown = {}, opts: WebServerOptions = {}) {
    const s = resolveSettings(variant, settings);
    this.variant = variant as Variant;
    this.docroot = new DocRoot(s.docroot);
    this.maxRequestBytes = s.maxRequestBytes;
    this.maxKeepAliveRequests = s.maxKeepAliveRequests;
    this.maxConnections = s.maxConnections;
    for (let k = 0; k < s.maxConnections; k++) this.free.push(new Conn());
    this.clock = opts.clock ?? Date.now;
  }

  get connections(): number {
    return this.open;
  }

  process(batch: Batch, ctx: ElementContext): void {
    const out = outboxOf(ctx);
    const deliver = deliverOf(batch);
    this.out = out;
    this.stats = ctx.stats;
    this.nowMs = this.clock();
    const buf = batch.buf;
    const rec = this.rec;
    for (let i = 0; i < batch.count; i++) {
      if (!batch.alive(i)) continue;
      const why = readRecord(buf, batch.offset(i), batch.length(i), rec);
      if (why !== null) {
        batch.drop(i, R[why as keyof typeof R]);
        continue;
      }
      if (rec.op === RecordOp.accept) {
        this.accept(rec.fd, rec.conn);
        deliver(i);
        continue;
      }
      if (rec.op !== RecordOp.data && rec.op !== RecordOp.eof) {
        batch.drop(i, R.unexpected_record); // write/close travel the other way
        continue;
      }
      const c = this.byFd[rec.fd];
      if (c === null || c.conn !== rec.conn) {
        batch.drop(i, R.unknown_connection); // e.g. bytes that crossed our close
        continue;
      }
      if (rec.op === RecordOp.data) this.feed(c, buf, rec.payloadOff, rec.payloadLen);
      else {
        // read returned 0: the client is done; an unfinished request goes with it
        this.peerClosed++;
        appendRecord(out.back(), RecordOp.close, c.fd, c.conn);
        this.release(c);
      }
      deliver(i);
    }
    this.out = null;
    this.stats = null;
  }

  private accept(fd: number, conn: number): void {
    const old = this.byFd[fd];
    if (old !== null) this.release(old); // the kernel reused the fd: that connection is gone
    const c = this.free.pop();
    if (c === undefined) {
      this.refused++;
      appendRecord((this.out as RecordOutbox).back(), RecordOp.close, fd, conn);
      return;
    }
    c.fd = fd;
    c.conn = conn;
    c.served = 0;
    c.len = 0;
    this.byFd[fd] = c;
    this.open++;
    this.accepted++;
  }

  private release(c: Conn): void {
    this.byFd[c.fd] = null;
    c.len = 0;
    this.free.push(c);
    this.open--;
  }

  /** Bytes read on `c`: serves every request they complete, keeps an unfinished tail. */
  private feed(c: Conn, src: Buffer, off: number, len: number): void {
    if (c.len === 0) {
      const used = this.serve(c, src, off, off + len);
      if (used < 0 || used === len) return;
      // parseable only together with what follows: keep it (serve refused anything over the bound)
      c.buf ??= Buffer.alloc(this.maxRequestBytes);
      src.copy(c.buf, 0, off + used, off + len);
      c.len = len - used;
      return;
    }
    const cbuf = c.buf as Buffer;
    while (len > 0) {
      const take = Math.min(len, cbuf.length - c.len);
      src.copy(cbuf, c.len, off, off + take);
      c.len += take;
      off += take;
      len -= take;
      const used = this.serve(c, cbuf, 0, c.len);
      if (used < 0) return;
      cbuf.copyWithin(0, used, c.len);
      c.len -= used;
    }
  }

  /**
   * Serves the complete requests in `buf[s, e)`; returns the bytes they took, or -1 when the
   * connection was closed (by a response that closes it).
   */
  private serve(c: Conn, buf: Buffer, s: number, e: number): number {
    const max = this.maxRequestBytes;
    let pos = s;
    while (pos < e) {
      // empty lines before a request line are ignored (RFC 9112 §2.2)
      while (pos + 1 < e && buf[pos] === 0x0d && buf[pos + 1] === 0x0a) pos += 2;
      const limit = Math.min(e, pos + max);
      const end = findHeadEnd(buf, pos, limit);
      if (end < 0) {
        if (e - pos < max) break; // unfinished: wait for more
        this.requests++;
        this.stats?.event(Ev.request, 1);
        if (findCrlf(buf, pos, limit) < 0) this.respond(c, this.docroot.uriTooLong, 1, false, false, 'uri_too_long');
        else this.respond(c, this.docroot.headerTooLarge, 1, false, false, 'header_too_large');
        return -1;
      }
      if (!this.request(c, buf, pos, end)) return -1;
      pos = end;
    }
    return pos - s;
  }

  /** One complete request head: answers it; false when the answer closed the connection. */
  private request(c: Conn, buf: Buffer, s: number, e: number): boolean {
    const h = this.head;
    const d = this.docroot;
    this.requests++;
    this.stats?.event(Ev.request, 1);
    const why = parseHead(buf, s, e, h);
    if (why !== null) {
      this.respond(c, d.badRequest, h.minor, false, false, why as ResponseReason);
      return false;
    }
    c.served++;
    if (h.method === Method.OTHER) {
      // a body may follow that is not read: the connection cannot go on
      this.respond(c, d.methodNotAllowed, h.minor, false, false, 'method_not_allowed');
      return false;
    }
    const keep = h.keepAlive && !h.hasBody && c.served < this.maxKeepAliveRequests;
    const f = d.lookup(h.path);
    if (f === undefined) this.respond(c, d.notFound, h.minor, keep, h.method === Method.HEAD, 'not_found');
    else this.respond(c, f, h.minor, keep, h.method === Method.HEAD, 'ok');
    return keep;
  }

  /**
   * Sends `r` as write records (write_close last when the connection closes): its header block,
   * the cached Date line, the Connection line, the empty line and, unless HEAD, the body.
   */
  private respond(c: Conn, r: Prebuilt, minor: number, keep: boolean, headOnly: boolean, reason: ResponseReason): void {
    const p = this.pieces;
    p.length = 0;
    p.push(r.head[minor], this.dates.at(this.nowMs), keep ? CONNECTION_KEEP_ALIVE : CONNECTION_CLOSE, CRLF);
    if (!headOnly && r.body.length > 0) p.push(r.body);
    let total = 0;
    for (let k = 0; k < p.length; k++) total += p[k].length;
    const out = this.out as RecordOutbox;
    let piece = 0;
    let at = 0;
    while (total > 0) {
      const n = Math.min(total, MAX_WRITE_PAYLOAD);
      total -= n;
      const sink = out.back();
      const i = sink.append(RECORD_HEADER_LEN + n);
      if (i < 0)
        throw new Error(`web-server: ctx.out.back() gave a batch without room for ${RECORD_HEADER_LEN + n} bytes`);
      const o = sink.offset(i);
      writeRecordHeader(sink.buf, o, total === 0 && !keep ? RecordOp.write_close : RecordOp.write, c.fd, c.conn);
      // gather the pieces into the payload (the iovec lighttpd hands writev)
      for (let w = o + RECORD_HEADER_LEN, left = n; left > 0;) {
        const src = p[piece];
        const m = Math.min(left, src.length - at);
        src.copy(sink.buf, w, at, at + m);
        w += m;
        left -= m;
        at += m;
        if (at === src.length) {
          piece++;
          at = 0;
        }
      }
    }
    this.responses[RESPONSE_INDEX[reason]]++;
    this.stats?.event(r.status < 300 ? Ev.response_2xx : Ev.response_4xx, 1);
    if (!keep) this.release(c);
  }

  describe(): Record<string, unknown> {
    const responses: Record<string, number> = {};
    RESPONSE_REASONS.forEach(([r, status], k) => {
      if (this.responses[k] > 0) responses[`${status} ${r}`] = this.responses[k];
    });
    return {
      files: this.docroot.size,
      connections: this.open,
      accepted: this.accepted,
      refused: this.refused,
      peer_closed: this.peerClosed,
      requests: this.requests,
      responses,
      date_refreshes: this.dates.refreshes,
    };
  }

  metrics(): CustomMetricSpec[] {
    const [responses, connections] = WEB_METRICS;
    return [
      {
        ...responses,
        samples: RESPONSE_REASONS.map(([reason, status], k) => ({
          labels: { status: String(status), reason },
          value: this.responses[k],
        })),
      },
      { ...connections, samples: [{ labels: {}, value: this.open }] },
    ];
  }
}
