// An HTTP/1.x response parsed as it streams in, byte by byte, with no buffer per connection:
// state in typed arrays indexed by the client's connection slot (a response may arrive split
// anywhere, even inside "HTTP/1.1"). It reads what the client needs: the status code, the
// Content-Length and the Connection header, then counts the body out. Bounded: a header block
// over MAX_HEADER_BYTES, a malformed status line or header, or bytes past the response's end
// (the client never pipelines) make the response bad.

/** Header block bound, lighttpd's default (server.max-request-field-size is 8 KB too). */
export const MAX_HEADER_BYTES = 8192;

export const enum Feed {
  /** More bytes are needed. */
  more = 0,
  /** The response ended exactly at the end of these bytes. */
  complete = 1,
  /** The bytes are not a well-formed response. */
  bad = 2,
}

const enum St {
  version = 0, // "HTTP/1." then the minor digit
  versionSp = 1,
  status = 2, // three digits
  reason = 3, // up to CR
  statusLf = 4,
  lineStart = 5, // a header line or the empty line
  name = 6,
  value = 7,
  valueLf = 8,
  endLf = 9,
  body = 10,
  done = 11,
}

const VERSION = Buffer.from('HTTP/1.', 'latin1');
const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const CONNECTION = Buffer.from('connection', 'latin1');
const CLOSE = Buffer.from('close', 'latin1');
const KEEP_ALIVE = Buffer.from('keep-alive', 'latin1');

const H_OTHER = 0;
const H_LENGTH = 1;
const H_CONNECTION = 2;

/** Lower-cases an ASCII letter. */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

export class ResponseParser {
  private readonly state: Uint8Array;
  /** Position within the token being matched (version, status digits, header name or value). */
  private readonly pos: Int32Array;
  /** Which header the line is (H_*), and while reading its name whether it still matches. */
  private readonly header: Uint8Array;
  private readonly lenMatch: Int8Array;
  private readonly connMatch: Int8Array;
  /** Connection value matching: bit 0 "close" still possible, bit 1 "keep-alive". */
  private readonly valueMatch: Uint8Array;
  private readonly valueStarted: Uint8Array;
  private readonly headerBytes: Int32Array;
  /** The response's fields. */
  readonly minor: Uint8Array;
  readonly status: Uint16Array;
  /** Content-Length, or -1 when none came (the body ends with the connection). */
  readonly contentLength: Float64Array;
  /** Body bytes still expected. */
  readonly remaining: Float64Array;
  /** Connection: 1 close, 2 keep-alive, 0 neither said. */
  readonly connection: Uint8Array;

  constructor(slots: number) {
    this.state = new Uint8Array(slots);
    this.pos = new Int32Array(slots);
    this.header = new Uint8Array(slots);
    this.lenMatch = new Int8Array(slots);
    this.connMatch = new Int8Array(slots);
    this.valueMatch = new Uint8Array(slots);
    this.valueStarted = new Uint8Array(slots);
    this.headerBytes = new Int32Array(slots);
    this.minor = new Uint8Array(slots);
    this.status = new Uint16Array(slots);
    this.contentLength = new Float64Array(slots);
    this.remaining = new Float64Array(slots);
    this.connection = new Uint8Array(slots);
  }

  /** Starts a new response on `slot`. */
  reset(slot: number): void {
    this.state[slot] = St.version;
    this.pos[slot] = 0;
    this.headerBytes[slot] = 0;
    this.status[slot] = 0;
    this.contentLength[slot] = -1;
    this.remaining[slot] = 0;
    this.connection[slot] = 0;
  }

  /** Whether the header block is read and the body (if any) is being counted. */
  inBody(slot: number): boolean {
    return this.state[slot] === St.body;
  }

  /**
   * The connection ended (the peer's FIN): a body without Content-Length is complete now; any
   * other unfinished response is truncated.
   */
  finish(slot: number): Feed {
    if (this.state[slot] === St.done) return Feed.complete;
    if (this.state[slot] === St.body && this.contentLength[slot] < 0) {
      this.state[slot] = St.done;
      return Feed.complete;
    }
    return Feed.bad;
  }

  /** Whether the server keeps the connection open after this response (RFC 9112 §9.3). */
  keepsAlive(slot: number): boolean {
    const c = this.connection[slot];
    if (c === 1 || this.contentLength[slot] < 0) return false;
    return this.minor[slot] >= 1 ? true : c === 2;
  }

  feed(slot: number, buf: Uint8Array, off: number, len: number): Feed {
    let st = this.state[slot];
    let pos = this.pos[slot];
    let i = off;
    const end = off + len;
    if (st === St.done) return len > 0 ? Feed.bad : Feed.complete;
    if (st !== St.body) {
      let hb = this.headerBytes[slot];
      for (; i < end && st !== St.body && st !== St.done; i++) {
        const c = buf[i];
        if (++hb > MAX_HEADER_BYTES) return this.bad(slot);
        switch (st) {
          case St.version:
            if (pos < VERSION.length) {
              if (c !== VERSION[pos]) return this.bad(slot);
              pos++;
            } else {
              if (c !== 0x30 && c !== 0x31) return this.bad(slot);
              this.minor[slot] = c - 0x30;
              st = St.versionSp;
            }
            break;
          case St.versionSp:
            if (c !== 0x20) return this.bad(slot);
            st = St.status;
            pos = 0;
            break;
          case St.status:
            if (pos < 3) {
              if (c < 0x30 || c > 0x39) return this.bad(slot);
              this.status[slot] = this.status[slot] * 10 + (c - 0x30);
              pos++;
            } else if (c === 0x20) st = St.reason;
            else if (c === 0x0d) st = St.statusLf;
            else return this.bad(slot);
            break;
          case St.reason:
            if (c === 0x0d) st = St.statusLf;
            else if (c === 0x0a) return this.bad(slot);
            break;
          case St.statusLf:
          case St.valueLf:
            if (c !== 0x0a) return this.bad(slot);
            st = St.lineStart;
            break;
          case St.lineStart:
            if (c === 0x0d) {
              st = St.endLf;
              break;
            }
            if (c === 0x3a || c <= 0x20 || c >= 0x7f) return this.bad(slot); // no name, or obs-fold
            pos = 0;
            this.lenMatch[slot] = 1;
            this.connMatch[slot] = 1;
            st = St.name;
            i--; // the first name byte is read in St.name
            hb--;
            break;
          case St.name:
            if (c === 0x3a) {
              this.header[slot] =
                this.lenMatch[slot] && pos === CONTENT_LENGTH.length
                  ? H_LENGTH
                  : this.connMatch[slot] && pos === CONNECTION.length
                    ? H_CONNECTION
                    : H_OTHER;
              if (this.header[slot] === H_LENGTH) {
                if (this.contentLength[slot] >= 0) return this.bad(slot); // a second Content-Length
                this.contentLength[slot] = 0;
              }
              this.valueMatch[slot] = 3;
              this.valueStarted[slot] = 0;
              pos = 0;
              st = St.value;
              break;
            }
            if (c <= 0x20 || c >= 0x7f) return this.bad(slot);
            {
              const lc = lower(c);
              if (pos >= CONTENT_LENGTH.length || CONTENT_LENGTH[pos] !== lc) this.lenMatch[slot] = 0;
              if (pos >= CONNECTION.length || CONNECTION[pos] !== lc) this.connMatch[slot] = 0;
            }
            pos++;
            break;
          case St.value:
            if (c === 0x0d) {
              if (!this.endValue(slot, pos)) return this.bad(slot);
              st = St.valueLf;
              break;
            }
            if (c === 0x0a) return this.bad(slot);
            if ((c === 0x20 || c === 0x09) && !this.valueStarted[slot]) break; // leading OWS
            if (!this.valueByte(slot, c, pos)) return this.bad(slot);
            this.valueStarted[slot] = 1;
            pos++;
            break;
          case St.endLf:
            if (c !== 0x0a) return this.bad(slot);
            // a response to GET without Content-Length runs to the connection's end; 1xx, 204 and
            // 304 have no body (RFC 9112 §6.3)
            {
              const code = this.status[slot];
              const noBody = code < 200 || code === 204 || code === 304;
              if (noBody || this.contentLength[slot] === 0) {
                st = St.done;
              } else {
                this.remaining[slot] = this.contentLength[slot];
                st = St.body;
              }
            }
            break;
        }
      }
      this.headerBytes[slot] = hb;
    }
    if (st === St.body && i < end) {
      const n = end - i;
      const cl = this.contentLength[slot];
      if (cl < 0) {
        i = end; // counted out by the connection's end
      } else if (n > this.remaining[slot]) {
        return this.bad(slot); // bytes past the response: the client sent one request
      } else {
        this.remaining[slot] -= n;
        i = end;
        if (this.remaining[slot] === 0) st = St.done;
      }
    }
    this.state[slot] = st;
    this.pos[slot] = pos;
    if (st === St.done) return i < end ? this.bad(slot) : Feed.complete;
    return Feed.more;
  }

  /** One byte of a header value: Content-Length digits, or Connection's token. */
  private valueByte(slot: number, c: number, pos: number): boolean {
    const h = this.header[slot];
    if (h === H_LENGTH) {
      if (c < 0x30 || c > 0x39) return c === 0x20 || c === 0x09 ? this.trailingSpace(slot) : false;
      if (this.valueMatch[slot] === 0) return false; // digits after trailing space
      const v = this.contentLength[slot] * 10 + (c - 0x30);
      if (v > Number.MAX_SAFE_INTEGER) return false;
      this.contentLength[slot] = v;
      return true;
    }
    if (h === H_CONNECTION) {
      const lc = lower(c);
      let m = this.valueMatch[slot];
      if (pos >= CLOSE.length || CLOSE[pos] !== lc) m &= ~1;
      if (pos >= KEEP_ALIVE.length || KEEP_ALIVE[pos] !== lc) m &= ~2;
      this.valueMatch[slot] = m;
    }
    if (c < 0x20 && c !== 0x09) return false;
    return c !== 0x7f;
  }

  /** Trailing whitespace after Content-Length's digits: no digit may follow. */
  private trailingSpace(slot: number): boolean {
    this.valueMatch[slot] = 0;
    return true;
  }

  /** The value's end: Content-Length must have had a digit; Connection's token is known. */
  private endValue(slot: number, pos: number): boolean {
    const h = this.header[slot];
    if (h === H_LENGTH) return pos > 0;
    if (h === H_CONNECTION) {
      const m = this.valueMatch[slot];
      if (m & 1 && pos === CLOSE.length) this.connection[slot] = 1;
      else if (m & 2 && pos === KEEP_ALIVE.length) this.connection[slot] = 2;
    }
    return true;
  }

  private bad(slot: number): Feed {
    this.state[slot] = St.done;
    return Feed.bad;
  }
}
