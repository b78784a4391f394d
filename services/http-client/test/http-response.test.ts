// The streaming response parser: whole, split at every byte, and the malformed cases it refuses.

import { Feed, MAX_HEADER_BYTES, ResponseParser } from '../src';

const OK = 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\ncontent-LENGTH:  5\r\nConnection: Keep-Alive\r\n\r\nhello';

function feedAll(p: ResponseParser, text: string, chunk: number, slot = 0): Feed[] {
  const b = Buffer.from(text, 'latin1');
  const out: Feed[] = [];
  for (let o = 0; o < b.length; o += chunk) out.push(p.feed(slot, b, o, Math.min(chunk, b.length - o)));
  return out;
}

test('a response split at every possible size reads the same: status, Content-Length, keep-alive', () => {
  for (let chunk = 1; chunk <= OK.length; chunk++) {
    const p = new ResponseParser(2);
    p.reset(1);
    const r = feedAll(p, OK, chunk, 1);
    expect(r[r.length - 1]).toBe(Feed.complete);
    expect(r.slice(0, -1).every((x) => x === Feed.more)).toBe(true);
    expect(p.status[1]).toBe(200);
    expect(p.contentLength[1]).toBe(5);
    expect(p.minor[1]).toBe(1);
    expect(p.keepsAlive(1)).toBe(true);
  }
});

test('HTTP/1.0 closes unless it says keep-alive; HTTP/1.1 keeps unless it says close', () => {
  const p = new ResponseParser(1);
  const cases: [string, boolean][] = [
    ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n', true],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', false],
  ];
  for (const [text, keep] of cases) {
    p.reset(0);
    expect(feedAll(p, text, 1000)).toEqual([Feed.complete]);
    expect(p.keepsAlive(0)).toBe(keep);
  }
});

test('without Content-Length the body runs to the connection end', () => {
  const p = new ResponseParser(1);
  p.reset(0);
  expect(feedAll(p, 'HTTP/1.0 200 OK\r\n\r\nabc', 1000)).toEqual([Feed.more]);
  expect(feedAll(p, 'def', 1000)).toEqual([Feed.more]);
  expect(p.keepsAlive(0)).toBe(false);
  expect(p.finish(0)).toBe(Feed.complete);
  // with Content-Length, an early end truncates it
  p.reset(0);
  expect(feedAll(p, 'HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc', 1000)).toEqual([Feed.more]);
  expect(p.finish(0)).toBe(Feed.bad);
});

test('204 and 304 have no body', () => {
  const p = new ResponseParser(1);
  p.reset(0);
  expect(feedAll(p, 'HTTP/1.1 304 Not Modified\r\nContent-Length: 64\r\n\r\n', 1000)).toEqual([Feed.complete]);
  expect(p.status[0]).toBe(304);
});

test.each([
  ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n'],
  ['HTTP/2', 'HTTP/2 200 OK\r\n\r\n'],
  ['a two-digit status', 'HTTP/1.1 20 OK\r\n\r\n'],
  ['a bare LF', 'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n'],
  ['a letter in Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 6x\r\n\r\n'],
  ['an empty Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n'],
  ['two Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx'],
  ['a folded header line', 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n'],
  ['bytes past the response', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy'],
])('%s is a bad response', (_name, text) => {
  const p = new ResponseParser(1);
  p.reset(0);
  const r = feedAll(p, text, 1000);
  expect(r[r.length - 1]).toBe(Feed.bad);
  // and stays bad
  expect(p.feed(0, Buffer.from('x'), 0, 1)).toBe(Feed.bad);
});

test('a header block over the bound is bad, one under it is read', () => {
  const p = new ResponseParser(1);
  const head = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n';
  const filler = (n: number): string => `X: ${'a'.repeat(n - 5)}\r\n`;
  p.reset(0);
  const fits = head + filler(MAX_HEADER_BYTES - head.length - 2) + '\r\n';
  expect(fits.length).toBe(MAX_HEADER_BYTES);
  expect(feedAll(p, fits, 100).pop()).toBe(Feed.complete);
  p.reset(0);
  expect(feedAll(p, head + filler(MAX_HEADER_BYTES - head.length - 1) + '\r\n', 100).pop()).toBe(Feed.bad);
});
