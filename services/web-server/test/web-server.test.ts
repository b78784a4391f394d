// The web server on records: request parsing at its edges, keep-alive and close, the Date cache,
// and the exact bytes of the default file's response.

import { RecordOp, WebServer, fileContent, type WebServerOptions } from '../src';
import { harness, rec } from './helpers';

const T0 = Date.UTC(2026, 10, 29, 6, 28, 33) + 100; // Sun, 29 Nov 2026 06:28:33.100 GMT
const GET = (path = '/index.html', extra = '') => `GET ${path} HTTP/1.1\r\nHost: lab\r\n${extra}\r\n`;

function server(settings: Record<string, unknown> = {}, opts: WebServerOptions = {}) {
  let now = T0;
  const ws = new WebServer('lighttpd', settings, { clock: () => now, ...opts });
  const h = harness(ws);
  const open = (fd = 5, conn = 77) => h.run([rec(RecordOp.accept, fd, conn)]);
  return { ws, h, open, setNow: (ms: number) => void (now = ms) };
}

const BODY64 = 'abcdefghijklmnopqrstuvwxyz'.repeat(2) + 'abcdefghijk\n';

describe('responses', () => {
  test('the default file: exact bytes, one write record, keep-alive on HTTP/1.1', () => {
    const { h, open } = server();
    open();
    const r = h.run([rec(RecordOp.data, 5, 77, GET())]);
    expect(r.delivered).toEqual([0]);
    expect(h.out.take()).toEqual([
      {
        op: RecordOp.write,
        fd: 5,
        conn: 77,
        payload:
          'HTTP/1.1 200 OK\r\n' +
          'Content-Type: text/html\r\n' +
          'Content-Length: 64\r\n' +
          'Server: vnflab-web\r\n' +
          'Date: Sun, 29 Nov 2026 06:28:33 GMT\r\n' +
          'Connection: keep-alive\r\n' +
          '\r\n' +
          BODY64,
      },
    ]);
    expect(fileContent(64).toString('latin1')).toBe(BODY64);
    expect(h.events()).toEqual({ request: 1, response_2xx: 1 });
  });

  test('HTTP/1.0 closes by default (write_close), keeps alive when asked', () => {
    const { ws, h, open } = server();
    open(5, 1);
    h.run([rec(RecordOp.data, 5, 1, 'GET /index.html HTTP/1.0\r\n\r\n')]);
    const [a] = h.out.take();
    expect(a.op).toBe(RecordOp.write_close);
    expect(a.payload.startsWith('HTTP/1.0 200 OK\r\n')).toBe(true);
    expect(a.payload).toContain('\r\nConnection: close\r\n\r\n');
    expect(ws.connections).toBe(0);
    // bytes after the close belong to no connection: a counted drop, not a crash
    expect(h.run([rec(RecordOp.data, 5, 1, 'GET / HTTP/1.0\r\n\r\n')]).drops).toEqual({ unknown_connection: 1 });

    open(6, 2);
    h.run([rec(RecordOp.data, 6, 2, 'GET /index.html HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n')]);
    const [b] = h.out.take();
    expect(b.op).toBe(RecordOp.write);
    expect(b.payload).toContain('\r\nConnection: keep-alive\r\n\r\n');
    expect(ws.connections).toBe(1);
  });

  test('HTTP/1.1 Connection: close ends with write_close', () => {
    const { ws, h, open } = server();
    open();
    h.run([rec(RecordOp.data, 5, 77, GET('/index.html', 'Connection: close\r\n'))]);
    expect(h.out.take().map((r) => r.op)).toEqual([RecordOp.write_close]);
    expect(ws.connections).toBe(0);
  });

  test('max_keep_alive_requests: the last allowed request is answered with close', () => {
    const { h, open } = server({ max_keep_alive_requests: 2 });
    open();
    h.run([rec(RecordOp.data, 5, 77, GET() + GET())]);
    const out = h.out.take();
    expect(out.map((r) => r.op)).toEqual([RecordOp.write, RecordOp.write_close]);
    expect(out[1].payload).toContain('Connection: close');
  });

  test('unknown path is 404 and the connection goes on; / serves index.html; HEAD has no body', () => {
    const { ws, h, open } = server();
    open();
    h.run([
      rec(RecordOp.data, 5, 77, GET('/nope.html') + GET('/?x=1') + `HEAD /index.html HTTP/1.1\r\nHost: a\r\n\r\n`),
    ]);
    const [nf, root, head] = h.out.take();
    expect(nf.op).toBe(RecordOp.write);
    expect(nf.payload.startsWith('HTTP/1.1 404 Not Found\r\n')).toBe(true);
    expect(nf.payload.endsWith('\r\n\r\n<h1>404 Not Found</h1>\n')).toBe(true);
    expect(root.payload.endsWith(BODY64)).toBe(true);
    expect(head.payload.endsWith('Connection: keep-alive\r\n\r\n')).toBe(true);
    expect(head.payload).toContain('Content-Length: 64\r\n');
    expect(ws.describe().responses).toEqual({ '200 ok': 2, '404 not_found': 1 });
    expect(h.events()).toEqual({ request: 3, response_2xx: 2, response_4xx: 1 });
  });

  test('a file larger than a record goes out in several, write_close only on the last', () => {
    const { h, open } = server({ file_size: 5000 });
    open();
    h.run([rec(RecordOp.data, 5, 77, GET('/index.html', 'Connection: close\r\n'))]);
    const out = h.out.take();
    expect(out.length).toBe(4);
    expect(out.map((r) => r.op)).toEqual([RecordOp.write, RecordOp.write, RecordOp.write, RecordOp.write_close]);
    const all = out.map((r) => r.payload).join('');
    expect(all).toContain('Content-Length: 5000\r\n');
    expect(all.endsWith('\r\n\r\n' + fileContent(5000).toString('latin1'))).toBe(true);
  });

  test('file_size 0: an empty body', () => {
    const { h, open } = server({ file_size: 0 });
    open();
    h.run([rec(RecordOp.data, 5, 77, GET())]);
    const [r] = h.out.take();
    expect(r.payload).toContain('Content-Length: 0\r\n');
    expect(r.payload.endsWith('keep-alive\r\n\r\n')).toBe(true);
  });
});

describe('request parsing edges', () => {
  test('a request split across two data records is answered once, after the second', () => {
    const { h, open } = server();
    open();
    const req = GET();
    h.run([rec(RecordOp.data, 5, 77, req.slice(0, 18))]);
    expect(h.out.take()).toEqual([]);
    h.run([rec(RecordOp.data, 5, 77, req.slice(18, 30))]);
    expect(h.out.take()).toEqual([]);
    const r = h.run([rec(RecordOp.data, 5, 77, req.slice(30))]);
    expect(r.delivered).toEqual([0]);
    const out = h.out.take();
    expect(out.length).toBe(1);
    expect(out[0].payload.startsWith('HTTP/1.1 200 OK')).toBe(true);
  });

  test('two pipelined requests in one record, then a third split across the next', () => {
    const { h, open } = server();
    open();
    const third = GET('/index.html', 'Connection: close\r\n');
    h.run([rec(RecordOp.data, 5, 77, GET() + GET('/missing') + third.slice(0, 10))]);
    const out = h.out.take();
    expect(out.map((r) => r.payload.slice(0, 15))).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 404 No']);
    h.run([rec(RecordOp.data, 5, 77, third.slice(10))]);
    expect(h.out.take().map((r) => r.op)).toEqual([RecordOp.write_close]);
  });

  test('a request line longer than max_request_bytes is 414, a head too long 431; both close', () => {
    const { ws, h, open } = server();
    open(5, 1);
    h.run([rec(RecordOp.data, 5, 1, `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`)]);
    const [a] = h.out.take();
    expect(a.op).toBe(RecordOp.write_close);
    expect(a.payload.startsWith('HTTP/1.1 414 URI Too Long\r\n')).toBe(true);

    // the head grows across records until it passes the bound
    open(6, 2);
    h.run([rec(RecordOp.data, 6, 2, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(5000)}`)]);
    expect(h.out.take()).toEqual([]);
    h.run([rec(RecordOp.data, 6, 2, 'c'.repeat(5000))]);
    const [b] = h.out.take();
    expect(b.op).toBe(RecordOp.write_close);
    expect(b.payload.startsWith('HTTP/1.1 431 Request Header Fields Too Large\r\n')).toBe(true);
    expect(ws.describe().responses).toEqual({ '414 uri_too_long': 1, '431 header_too_large': 1 });
    expect(ws.connections).toBe(0);
  });

  test('a head of exactly max_request_bytes is served', () => {
    const { h, open } = server({ max_request_bytes: 256 });
    open();
    const base = GET('/index.html', 'X-Pad: \r\n');
    const req = GET('/index.html', `X-Pad: ${'p'.repeat(256 - base.length)}\r\n`);
    expect(req.length).toBe(256);
    h.run([rec(RecordOp.data, 5, 77, req)]);
    expect(h.out.take()[0].payload.startsWith('HTTP/1.1 200 OK')).toBe(true);
  });

  test.each([
    ['bad method token', 'G@T / HTTP/1.1\r\nHost: a\r\n\r\n', '400 bad_request_line'],
    ['missing version', 'GET /\r\nHost: a\r\n\r\n', '400 bad_request_line'],
    ['HTTP/2.0 on text', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', '400 bad_version'],
    ['not origin-form', 'GET index.html HTTP/1.1\r\nHost: a\r\n\r\n', '400 bad_target'],
    ['header without colon', 'GET / HTTP/1.1\r\nHost a\r\n\r\n', '400 bad_header'],
    ['space before colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', '400 bad_header'],
    ['bad Content-Length', 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n', '400 bad_header'],
    ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n', '400 bad_host'],
    ['POST', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc', '405 method_not_allowed'],
    ['lower-case get is another method', 'get / HTTP/1.1\r\nHost: a\r\n\r\n', '405 method_not_allowed'],
  ])('%s: answered and closed', (_name, req, counted) => {
    const { ws, h, open } = server();
    open();
    h.run([rec(RecordOp.data, 5, 77, req)]);
    const out = h.out.take();
    expect(out.length).toBe(1);
    expect(out[0].op).toBe(RecordOp.write_close);
    expect(out[0].payload.startsWith(`HTTP/1.`)).toBe(true);
    expect(out[0].payload.slice(9, 12)).toBe(counted.slice(0, 3));
    if (counted.startsWith('405')) expect(out[0].payload).toContain('Allow: GET, HEAD\r\n');
    expect(ws.describe().responses).toEqual({ [counted]: 1 });
    expect(h.events()).toEqual({ request: 1, response_4xx: 1 });
    expect(ws.connections).toBe(0);
  });

  test('a GET with a body is answered, then the connection closes (the body is not read)', () => {
    const { h, open } = server();
    open();
    h.run([rec(RecordOp.data, 5, 77, GET('/index.html', 'Content-Length: 2\r\n') + 'hi')]);
    const out = h.out.take();
    expect(out.map((r) => r.op)).toEqual([RecordOp.write_close]);
    expect(out[0].payload.startsWith('HTTP/1.1 200 OK')).toBe(true);
  });

  test('empty lines before a request line are ignored', () => {
    const { h, open } = server();
    open();
    h.run([rec(RecordOp.data, 5, 77, '\r\n\r\n' + GET())]);
    expect(h.out.take()[0].payload.startsWith('HTTP/1.1 200 OK')).toBe(true);
  });
});

describe('Date cache', () => {
  test('rebuilt once per second, not per response', () => {
    const { ws, h, open, setNow } = server();
    open();
    h.run([rec(RecordOp.data, 5, 77, GET() + GET())]);
    setNow(T0 + 850); // 06:28:33.950: same second
    h.run([rec(RecordOp.data, 5, 77, GET())]);
    expect(ws.dates.refreshes).toBe(1);
    const same = h.out.take().map((r) => /Date: ([^\r]+)/.exec(r.payload)?.[1]);
    expect(same).toEqual(Array(3).fill('Sun, 29 Nov 2026 06:28:33 GMT'));
    setNow(T0 + 900); // 06:28:34.000
    h.run([rec(RecordOp.data, 5, 77, GET())]);
    expect(ws.dates.refreshes).toBe(2);
    expect(h.out.take()[0].payload).toContain('Date: Sun, 29 Nov 2026 06:28:34 GMT\r\n');
  });
});

describe('records and connections', () => {
  test('eof closes the connection (a close record), dropping an unfinished request', () => {
    const { ws, h, open } = server();
    open();
    h.run([rec(RecordOp.data, 5, 77, 'GET / HT')]);
    const r = h.run([rec(RecordOp.eof, 5, 77)]);
    expect(r.delivered).toEqual([0]);
    expect(h.out.take()).toEqual([{ op: RecordOp.close, fd: 5, conn: 77, payload: '' }]);
    expect(ws.connections).toBe(0);
    expect(ws.describe().peer_closed).toBe(1);
  });

  test('bad records are counted drops with reasons; the good ones in the same batch are delivered', () => {
    const { h, open } = server();
    open();
    const badOp = rec(RecordOp.data, 5, 77, 'x');
    badOp[0] = 9;
    const r = h.run([
      Buffer.from([2, 0, 0]),
      badOp,
      rec(RecordOp.accept, 6, 1, 'payload'),
      rec(RecordOp.write, 5, 77, 'x'),
      rec(RecordOp.data, 5, 78, GET()), // stale connection id on fd 5
      rec(RecordOp.data, 5, 77, GET()),
    ]);
    expect(r.drops).toEqual({
      record_truncated: 1,
      record_bad_op: 1,
      record_bad_length: 1,
      unexpected_record: 1,
      unknown_connection: 1,
    });
    expect(r.delivered).toEqual([5]);
    expect(h.out.take().length).toBe(1);
  });

  test('max_connections: an accept beyond is closed at once and counted', () => {
    const { ws, h } = server({ max_connections: 1 });
    h.run([rec(RecordOp.accept, 5, 1), rec(RecordOp.accept, 6, 2)]);
    expect(h.out.take()).toEqual([{ op: RecordOp.close, fd: 6, conn: 2, payload: '' }]);
    expect(ws.refused).toBe(1);
    expect(ws.connections).toBe(1);
  });

  test('without the closed-loop runtime the stage says what is missing', () => {
    const ws = new WebServer();
    const h = harness(ws);
    expect(() => ws.process(h.ctx.out.back(), { ...h.ctx, out: undefined } as never)).toThrow(/ctx\.out.*loop chain/);
  });
});
