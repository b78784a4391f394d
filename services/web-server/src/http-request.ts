// Parsing one request head (request line and header fields, RFC 9112 §3 and §5) in place, from
// the buffer it arrived in. Only what the server acts on is kept: the method, the path, the
// version, the Connection options, Host, and whether a body follows. Anything malformed is
// refused with the reason the response is counted under.

export const Method = { GET: 1, HEAD: 2, OTHER: 3 } as const;
export type Method = (typeof Method)[keyof typeof Method];

export class RequestHead {
  method: Method = Method.GET;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor = 1;
  /** The path, without a query, as a string (the document root is keyed by it). */
  path = '';
  connectionClose = false;
  connectionKeepAlive = false;
  hosts = 0;
  /** Content-Length above 0 or Transfer-Encoding: a body this server does not read follows. */
  hasBody = false;

  /** Whether the connection stays open after this request's response (RFC 9112 §9.3). */
  get keepAlive(): boolean {
    if (this.connectionClose) return false;
    return this.minor === 1 || this.connectionKeepAlive;
  }
}

const SP = 0x20;
const HT = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

// tchar (RFC 9110 §5.6.2)
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = TCHAR[c + 0x20] = 1;

/** Index of the CRLF ending the line that starts at `s`, or -1 before `e`. */
export function findCrlf(buf: Buffer, s: number, e: number): number {
  for (let i = s; i + 1 < e; i++) if (buf[i] === CR && buf[i + 1] === LF) return i;
  return -1;
}

/** Index just past the CRLFCRLF ending a head that starts at `s`, or -1 before `e`. */
export function findHeadEnd(buf: Buffer, s: number, e: number): number {
  for (let i = s; i + 3 < e; i++)
    if (buf[i + 3] === LF && buf[i] === CR && buf[i + 1] === LF && buf[i + 2] === CR) return i + 4;
  return -1;
}

/** `buf[s, e)` equals the lower-case ASCII `word`, ignoring case. */
function eqLower(buf: Buffer, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) if ((buf[s + k] | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

/** `buf[s, e)` is exactly `word` (methods are case-sensitive). */
function isWord(buf: Buffer, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (buf[s + k] !== word.charCodeAt(k)) return false;
  return true;
}

function isToken(buf: Buffer, s: number, e: number): boolean {
  if (e <= s) return false;
  for (let i = s; i < e; i++) if (TCHAR[buf[i]] === 0) return false;
  return true;
}

function skipOws(buf: Buffer, i: number, e: number): number {
  while (i < e && (buf[i] === SP || buf[i] === HT)) i++;
  return i;
}

function trimOwsEnd(buf: Buffer, s: number, e: number): number {
  while (e > s && (buf[e - 1] === SP || buf[e - 1] === HT)) e--;
  return e;
}

/**
 * Parses the head `buf[s, e)` (ending with its empty line) into `out`. Returns null, or the
 * reason it is refused (each a 400): `bad_request_line`, `bad_target`, `bad_version`,
 * `bad_header`, `bad_host` (HTTP/1.1 without exactly one Host).
 */
export function parseHead(buf: Buffer, s: number, e: number, out: RequestHead): string | null {
  out.minor = 1; // answers to a request line that does not parse are HTTP/1.1
  const le = findCrlf(buf, s, e);
  if (le < 0) return 'bad_request_line';
  // method SP request-target SP HTTP-version
  let i = s;
  while (i < le && buf[i] !== SP) i++;
  if (i >= le || !isToken(buf, s, i)) return 'bad_request_line';
  out.method = isWord(buf, s, i, 'GET') ? Method.GET : isWord(buf, s, i, 'HEAD') ? Method.HEAD : Method.OTHER;
  const ts = i + 1;
  let te = ts;
  while (te < le && buf[te] > SP && buf[te] < 0x7f) te++;
  if (te === ts || te >= le || buf[te] !== SP) return 'bad_request_line';
  const vs = te + 1;
  if (le - vs !== 8 || !isWord(buf, vs, vs + 5, 'HTTP/') || buf[vs + 6] !== 0x2e) return 'bad_request_line';
  if (buf[vs + 5] !== 0x31 || (buf[vs + 7] !== 0x30 && buf[vs + 7] !== 0x31)) return 'bad_version';
  out.minor = buf[vs + 7] - 0x30;
  if (buf[ts] !== 0x2f) return 'bad_target'; // origin-form only
  let pe = ts;
  while (pe < te && buf[pe] !== 0x3f && buf[pe] !== 0x23) pe++;
  out.path = buf.toString('latin1', ts, pe);

  out.connectionClose = out.connectionKeepAlive = out.hasBody = false;
  out.hosts = 0;
  // field-name ":" OWS field-value OWS, up to the empty line
  for (let ls = le + 2; ls < e - 2;) {
    const fe = findCrlf(buf, ls, e);
    if (fe < 0) return 'bad_header';
    let c = ls;
    while (c < fe && buf[c] !== COLON) c++;
    if (c >= fe || !isToken(buf, ls, c)) return 'bad_header'; // no colon, obs-fold, space before it
    const vs2 = skipOws(buf, c + 1, fe);
    const ve = trimOwsEnd(buf, vs2, fe);
    if (eqLower(buf, ls, c, 'connection')) {
      // a list of options: close, keep-alive, or others this server ignores
      for (let o = vs2; o < ve;) {
        let oe = o;
        while (oe < ve && buf[oe] !== 0x2c) oe++;
        const a = skipOws(buf, o, oe);
        const b = trimOwsEnd(buf, a, oe);
        if (eqLower(buf, a, b, 'close')) out.connectionClose = true;
        else if (eqLower(buf, a, b, 'keep-alive')) out.connectionKeepAlive = true;
        o = oe + 1;
      }
    } else if (eqLower(buf, ls, c, 'host')) out.hosts++;
    else if (eqLower(buf, ls, c, 'content-length')) {
      if (ve === vs2) return 'bad_header';
      for (let d = vs2; d < ve; d++) {
        if (buf[d] < 0x30 || buf[d] > 0x39) return 'bad_header';
        if (buf[d] !== 0x30) out.hasBody = true;
      }
    } else if (eqLower(buf, ls, c, 'transfer-encoding')) out.hasBody = true;
    ls = fe + 2;
  }
  if (out.minor === 1 && out.hosts !== 1) return 'bad_host';
  return null;
}
