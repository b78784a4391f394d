// The client's transactions end to end against a server on the same TCP library, on a virtual
// clock: exact counts for short and keep-alive connections, the rate, every failure reason, the
// drain at the end, ports held in TIME_WAIT, and every returned frame accounted for.

import { Batch, DELIVERED, reasonCode } from '@vnflab/core';
import { parseSegment, TcpReason, TcpSegment } from '@vnflab/tcp';
import { HttpClient } from '../src';
import { MS, T0, TestServer, runLoop, sourceCtx, type RunResult } from './helpers';

interface Described {
  transactions: { completed: number; failed: Record<string, number>; per_second: number };
  connections: {
    opened: number;
    established: number;
    completed: number;
    failed: Record<string, number>;
    open: number;
    no_free_port: number;
  };
  requests: number;
  responses: Record<string, number>;
  retransmissions: number;
}

function described(c: HttpClient): Described {
  return c.describe() as unknown as Described;
}

/** Every frame the server sent came back to the client and was consumed or dropped with a reason. */
function accounted(r: RunResult): void {
  let dropped = 0;
  for (const n of r.clientDrops.values()) dropped += n;
  expect(r.clientDelivered + dropped).toBe(r.serverFrames.length);
}

/** The frames' TCP flags in order, per client port. */
function flagsByPort(frames: { frame: Buffer }[], clientSide: boolean): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const s = new TcpSegment();
  for (const { frame } of frames) {
    expect(parseSegment(frame, 0, frame.length, s)).toBe(0);
    const port = clientSide ? s.srcPort : s.dstPort;
    let f = '';
    if (s.flags & 0x02) f += 'S';
    if (s.flags & 0x01) f += 'F';
    if (s.flags & 0x04) f += 'R';
    if (s.flags & 0x10) f += 'A';
    if (s.payloadLen > 0) f += `+${s.payloadLen}`;
    out.set(port, [...(out.get(port) ?? []), f]);
  }
  return out;
}

describe('short HTTP/1.0 transactions', () => {
  test('50 transactions over 8 connections: exact counts, each connection SYN, ACK, GET, ACK, FIN', () => {
    const c = new HttpClient('ab', { count: 50, connections: 8 });
    const s = new TestServer('serve');
    const r = runLoop(c, s);
    expect(c.done).toBe(true);
    const d = described(c);
    expect(d.transactions.completed).toBe(50);
    expect(d.transactions.failed).toEqual({});
    expect(d.connections).toEqual({
      opened: 50,
      established: 50,
      completed: 50,
      failed: {},
      open: 0,
      no_free_port: 0,
    });
    expect(d.requests).toBe(50);
    expect(d.responses).toEqual({ '2xx': 50 });
    expect(s.requests).toBe(50);
    expect(c.stats.connect.count).toBe(50);
    expect(c.stats.ttfb.count).toBe(50);
    expect(c.stats.transaction.count).toBe(50);
    // the request line the server read
    const req = r.clientFrames.map((x) => x.frame.toString('latin1')).find((t) => t.includes('GET '))!;
    expect(req).toContain('GET /index.html HTTP/1.0\r\nHost: 10.0.0.100\r\n');
    // the server closed first: the client's FIN comes after the server's, and no client port repeats
    const byPort = flagsByPort(r.clientFrames, true);
    expect(byPort.size).toBe(50);
    const reqLen = Buffer.byteLength(
      'GET /index.html HTTP/1.0\r\nHost: 10.0.0.100\r\nUser-Agent: vnflab-http-client\r\nAccept: */*\r\n\r\n',
    );
    for (const flags of byPort.values()) expect(flags).toEqual(['S', 'A', `A+${reqLen}`, 'A', 'FA']);
    expect(c.sent).toBe(250);
    expect(r.clientFrames).toHaveLength(250);
    accounted(r);
    expect(r.clientDrops.size).toBe(0);
  });

  test('never more than `connections` open at once', () => {
    const c = new HttpClient('ab', { count: 40, connections: 3 });
    const s = new TestServer('serve');
    let most = 0;
    const orig = c.fill.bind(c);
    c.fill = (b, now, ctx) => {
      const n = orig(b, now, ctx);
      most = Math.max(most, c.active);
      return n;
    };
    runLoop(c, s);
    expect(most).toBe(3);
    expect(described(c).transactions.completed).toBe(40);
  });

  test('several client addresses share the connections; a frame for another address is dropped with a reason', () => {
    const c = new HttpClient('ab', { count: 20, connections: 8, src: '10.1.0.1', src_count: 2 });
    const s = new TestServer('serve');
    const r = runLoop(c, s);
    expect(described(c).transactions.completed).toBe(20);
    const sources = new Set(r.clientFrames.map((x) => x.frame.readUInt32BE(26)));
    expect([...sources].sort()).toEqual([0x0a010001, 0x0a010002]);
    // a returned frame addressed elsewhere
    const stray = Buffer.from(r.serverFrames[0].frame);
    stray.writeUInt32BE(0x0a010009, 30);
    const b = Batch.allocate(1);
    stray.copy(b.buf, b.offset(b.append(stray.length)));
    c.receive(b, r.endNs, sourceCtx());
    expect(b.reason(0)).toBe(reasonCode('not_for_client'));
    // with one address too
    const one = new HttpClient('ab', { count: 1, connections: 1 });
    const b1 = Batch.allocate(1);
    stray.copy(b1.buf, b1.offset(b1.append(stray.length)));
    one.receive(b1, r.endNs, sourceCtx());
    expect(b1.reason(0)).toBe(reasonCode('not_for_client'));
  });
});

describe('keep-alive', () => {
  test('K = 5 requests per connection: 22 transactions take 5 connections (5+5+5+5+2), all served', () => {
    const c = new HttpClient('ab', { count: 22, connections: 2, requests_per_connection: 5 });
    const s = new TestServer('serve');
    const r = runLoop(c, s);
    const d = described(c);
    expect(d.transactions.completed).toBe(22);
    expect(d.connections.opened).toBe(5);
    expect(d.connections.completed).toBe(5);
    expect(d.requests).toBe(22);
    // every request but each connection's last asked for keep-alive, and the server closed first
    expect(s.keepAliveRequests).toBe(22 - 5);
    expect(c.stats.connect.count).toBe(5);
    expect(c.stats.transaction.count).toBe(22);
    const texts = r.clientFrames.map((x) => x.frame.toString('latin1')).filter((t) => t.includes('GET '));
    expect(texts.filter((t) => t.includes('HTTP/1.1\r\n') && t.includes('Connection: keep-alive'))).toHaveLength(17);
    expect(texts.filter((t) => t.includes('Connection: close'))).toHaveLength(5);
    for (const flags of flagsByPort(r.clientFrames, true).values()) expect(flags[flags.length - 1]).toBe('FA');
    accounted(r);
  });

  test('a server that closes after 2 requests: the rest go on new connections, none lost', () => {
    const c = new HttpClient('ab', { count: 10, connections: 1, requests_per_connection: 5 });
    const s = new TestServer('serve', 2);
    runLoop(c, s);
    const d = described(c);
    expect(d.transactions.completed).toBe(10);
    expect(d.transactions.failed).toEqual({});
    expect(d.connections.opened).toBe(5);
    expect(s.requests).toBe(10);
  });
});

describe('rate', () => {
  test('1000 transactions/s: 100 transactions take about 0.1 s; closed loop is far faster', () => {
    const paced = new HttpClient('ab', { count: 100, connections: 64, rate: 1000 });
    runLoop(paced, new TestServer('serve'));
    const d = described(paced);
    expect(d.transactions.completed).toBe(100);
    const span = (paced.stats.lastNs - paced.stats.firstNs) / MS;
    expect(span).toBeGreaterThanOrEqual(98);
    expect(span).toBeLessThan(110);
    expect(d.transactions.per_second).toBeGreaterThan(900);
    expect(d.transactions.per_second).toBeLessThan(1020);

    const free = new HttpClient('ab', { count: 100, connections: 64 });
    runLoop(free, new TestServer('serve'));
    expect((free.stats.lastNs - free.stats.firstNs) / MS).toBeLessThan(5);
  });

  test('keep-alive requests take tokens too: 2000/s over 2 connections of 10 requests', () => {
    const c = new HttpClient('ab', { count: 40, connections: 2, requests_per_connection: 10, rate: 2000 });
    runLoop(c, new TestServer('serve'));
    expect(described(c).transactions.completed).toBe(40);
    const span = (c.stats.lastNs - c.stats.firstNs) / MS;
    expect(span).toBeGreaterThanOrEqual(19);
    expect(span).toBeLessThan(25);
  });
});

describe('failures', () => {
  test('a server that never answers: each connection times out at connect_timeout_ms, the run ends', () => {
    const c = new HttpClient('ab', { count: 3, connections: 8, connect_timeout_ms: 2500 });
    const r = runLoop(c, new TestServer('silent'));
    expect(c.done).toBe(true);
    const d = described(c);
    expect(d.transactions.completed).toBe(0);
    expect(d.transactions.failed).toEqual({ connect_timeout: 3 });
    expect(d.connections.failed).toEqual({ connect_timeout: 3 });
    expect(d.connections.established).toBe(0);
    // RFC 6298's initial RTO: each SYN went again once, at 1 s (the next would be at 3 s)
    expect(d.retransmissions).toBe(3);
    const syns = r.clientFrames.filter((x) => x.frame[47] === 0x02);
    expect(syns).toHaveLength(6);
    expect((syns[3].at - syns[0].at) / MS).toBeCloseTo(1000, -1);
    expect((r.endNs - T0) / MS).toBeGreaterThanOrEqual(2500);
    expect((r.endNs - T0) / MS).toBeLessThan(2600);
  });

  test('a closed port: each SYN answered by RST is counted refused', () => {
    const c = new HttpClient('ab', { count: 4, connections: 2 });
    const r = runLoop(c, new TestServer('refuse'));
    const d = described(c);
    expect(d.transactions.failed).toEqual({ refused: 4 });
    expect(d.connections.failed).toEqual({ refused: 4 });
    expect(d.connections.opened).toBe(4);
    accounted(r);
    expect(r.clientDelivered).toBe(4);
  });

  test('RST from the server after the request is counted reset', () => {
    const c = new HttpClient('ab', { count: 5, connections: 5 });
    const r = runLoop(c, new TestServer('reset'));
    const d = described(c);
    expect(d.transactions.failed).toEqual({ reset: 5 });
    expect(d.connections.failed).toEqual({ reset: 5 });
    expect(d.connections.established).toBe(5);
    expect(d.requests).toBe(5);
    accounted(r);
  });

  test('a response that is not HTTP is counted bad_response, the connection reset by the client', () => {
    const c = new HttpClient('ab', { count: 2, connections: 2 });
    const r = runLoop(c, new TestServer('garbage'));
    const d = described(c);
    expect(d.transactions.failed).toEqual({ bad_response: 2 });
    expect(d.connections.failed).toEqual({ bad_response: 2 });
    // the client's RST on the bad bytes, then another answering the server's FIN, which comes
    // to a port the client no longer has open (RFC 9293 §3.10.7.1), dropped there as closed_port
    const rsts = r.clientFrames.filter((x) => x.frame[47] & 0x04);
    expect(rsts).toHaveLength(4);
    expect(r.clientDrops).toEqual(new Map([[TcpReason.closed_port, 2]]));
    accounted(r);
  });

  test('the drain timeout gives up on what is still open at the end, counted', () => {
    const c = new HttpClient('ab', { count: 2, connections: 2, connect_timeout_ms: 100_000, drain_timeout_ms: 500 });
    const r = runLoop(c, new TestServer('silent'));
    expect(c.done).toBe(true);
    expect(described(c).connections.failed).toEqual({ drain_timeout: 2 });
    expect(described(c).transactions.failed).toEqual({ drain_timeout: 2 });
    expect((r.endNs - T0) / MS).toBeLessThan(600);
  });
});

describe('loss and bad input', () => {
  test('every 7th client frame lost: the TCP library retransmits, every transaction completes', () => {
    const c = new HttpClient('ab', { count: 30, connections: 4 });
    const s = new TestServer('serve');
    const r = runLoop(c, s, 120_000, 64, (i) => i % 7 === 3);
    const d = described(c);
    expect(r.lost).toBeGreaterThan(10);
    expect(d.transactions.completed).toBe(30);
    expect(d.transactions.failed).toEqual({});
    expect(d.retransmissions).toBeGreaterThan(0);
    expect(d.retransmissions).toBe(c.endpoints[0].stats.retransmits);
    expect(s.requests).toBe(30);
    accounted(r);
  });

  test('random and damaged frames coming back are dropped with reasons, never thrown', () => {
    const c = new HttpClient('ab', { count: 5, connections: 5 });
    const s = new TestServer('serve');
    const r = runLoop(c, s);
    let seed = 7;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const b = Batch.allocate(64);
    for (let k = 0; k < 64; k++) {
      const base = r.serverFrames[k % r.serverFrames.length].frame;
      const f = k % 2 === 0 ? Buffer.from(base) : Buffer.alloc(Math.floor(rnd() * 80));
      if (k % 2 === 0) f[Math.floor(rnd() * f.length)] ^= 1 + Math.floor(rnd() * 255);
      else for (let j = 0; j < f.length; j++) f[j] = Math.floor(rnd() * 256);
      f.copy(b.buf, b.offset(b.append(f.length)));
    }
    expect(() => c.receive(b, r.endNs, sourceCtx())).not.toThrow();
    let dropped = 0;
    for (let i = 0; i < b.count; i++) if (!b.alive(i) && b.reason(i) !== DELIVERED) dropped++;
    // each is refused (bad checksum, truncated, not TCP, or no connection for it); none opens one
    expect(dropped).toBe(64);
    expect(c.active).toBe(0);
  });
});

describe('ending', () => {
  test('duration: new transactions stop at the end, open ones finish', () => {
    const c = new HttpClient('ab', { duration: 0.02, connections: 4 });
    const r = runLoop(c, new TestServer('serve'));
    const d = described(c);
    expect(c.done).toBe(true);
    expect(d.transactions.completed).toBeGreaterThan(20);
    expect(d.transactions.failed).toEqual({});
    expect(d.connections.completed).toBe(d.connections.opened);
    const lastSyn = Math.max(...r.clientFrames.filter((x) => x.frame[47] === 0x02).map((x) => x.at));
    expect((lastSyn - T0) / MS).toBeLessThan(20);
  });

  test('stop(): no new connections, open keep-alive ones close from the client side', () => {
    const c = new HttpClient('ab', { connections: 2, requests_per_connection: 1000, rate: 1000 });
    const s = new TestServer('serve');
    const orig = c.fill.bind(c);
    let fills = 0;
    c.fill = (b, now, ctx) => {
      if (++fills === 200) c.stop();
      return orig(b, now, ctx);
    };
    runLoop(c, s);
    const d = described(c);
    expect(c.done).toBe(true);
    expect(d.connections.opened).toBe(2);
    expect(d.connections.completed).toBe(2);
    expect(d.transactions.failed).toEqual({});
    expect(d.transactions.completed).toBe(s.requests);
  });
});

test('ports held in TIME_WAIT on the client side are not reused: new connections wait for them', () => {
  // a server that ignores Connection: close and keeps every connection: the client closes first
  // after its last response, so its port spends TIME_WAIT (60 s) on the client side
  const c = new HttpClient('ab', { count: 16, connections: 4, requests_per_connection: 2, src_ports: '40000-40003' });
  const s = new TestServer('serve');
  const data = s.data.bind(s);
  s.data = (conn, buf, off, len) => {
    const b = Buffer.from(
      Buffer.from(buf.subarray(off, off + len))
        .toString('latin1')
        .replace('Connection: close', 'X: y'),
    );
    data(conn, b, 0, b.length);
  };
  const r = runLoop(c, s, 200_000);
  const d = described(c);
  expect(d.transactions.completed).toBe(16);
  expect(d.connections.opened).toBe(8);
  expect(d.connections.completed).toBe(8);
  expect(d.connections.no_free_port).toBeGreaterThan(0);
  // per port: two connections, the second SYN at least TIME_WAIT after the client's first FIN
  const seg = new TcpSegment();
  const perPort = new Map<number, { fin: number[]; syn: number[] }>();
  for (const { at, frame } of r.clientFrames) {
    parseSegment(frame, 0, frame.length, seg);
    const p = perPort.get(seg.srcPort) ?? { fin: [], syn: [] };
    if (seg.flags & 0x02) p.syn.push(at);
    if (seg.flags & 0x01) p.fin.push(at);
    perPort.set(seg.srcPort, p);
  }
  expect([...perPort.keys()].sort()).toEqual([40000, 40001, 40002, 40003]);
  for (const p of perPort.values()) {
    expect(p.syn).toHaveLength(2);
    expect(p.syn[1] - p.fin[0]).toBeGreaterThanOrEqual(60_000 * MS);
  }
});
