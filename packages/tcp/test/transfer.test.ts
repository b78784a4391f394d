// Hand-worked data exchanges after a handshake (client ISS 1000, server ISS 5000, MSS 1448 with
// timestamps): seq/ack/flags of every segment, delayed ACKs, duplicates, out-of-window and
// out-of-order segments, and a transfer across the 2^32 sequence wrap.

import { SegmentSpec, TcpReason, buildSegment, segmentFrameLength, seqAdd } from '@vnflab/tcp';
import { CLIENT_IP, MS, SERVER_IP, T0, brief, establish, pair } from './helpers';

function bytes(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

/** A client->server segment built by hand (for sequence numbers this library would not send). */
function clientSegment(seq: number, ack: number, flags: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const sp = Object.assign(new SegmentSpec(), {
    srcIp: CLIENT_IP,
    dstIp: SERVER_IP,
    srcPort: 40000,
    dstPort: 80,
    seq,
    ack,
    flags,
    window: 512,
    payload,
    payloadLen: payload.length,
  });
  const b = Buffer.alloc(segmentFrameLength(sp));
  buildSegment(b, 0, sp);
  return b;
}

describe('data transfer', () => {
  test('delayedAck false: every in-order segment is acknowledged at once, no delayed-ACK timer', () => {
    const p = pair({}, { delayedAck: false });
    const { c } = establish(p);
    expect(p.client.send(c, bytes(100, 1), 0, 100, T0 + 10 * MS)).toBe(100);
    expect(p.toServer(p.cw.take(), T0 + 10 * MS)).toEqual([0]);
    expect(brief(p.sw.take())).toEqual([['A', 5001, 1101, 0]]); // not held for 40 ms
    p.server.tick(T0 + 60 * MS);
    expect(p.sw.take()).toEqual([]);
    expect(p.server.stats.delayedAcks).toBe(0);
  });

  test('request and response: piggybacked ACK one way, delayed ACK (40 ms) the other', () => {
    const p = pair();
    const { c, s } = establish(p);
    const req = bytes(100, 1);
    expect(p.client.send(c, req, 0, 100, T0 + 10 * MS)).toBe(100);
    const f1 = p.cw.take();
    expect(brief(f1)).toEqual([['PA', 1001, 5001, 100]]);
    expect(p.toServer(f1, T0 + 10 * MS)).toEqual([0]);
    expect(p.se.take()).toEqual([`data ${s} 100`]);
    expect(p.se.bytes.get(s)).toEqual(req);
    expect(p.sw.take()).toEqual([]); // the ACK waits (delayed ACK)
    const resp = bytes(200, 2);
    expect(p.server.send(s, resp, 0, 200, T0 + 11 * MS)).toBe(200);
    const f2 = p.sw.take();
    expect(brief(f2)).toEqual([['PA', 5001, 1101, 200]]); // the ACK rides on the response
    p.server.tick(T0 + 60 * MS);
    expect(p.sw.take()).toEqual([]); // nothing owed any more
    expect(p.toClient(f2, T0 + 12 * MS)).toEqual([0]);
    expect(p.ce.bytes.get(c)).toEqual(resp);
    expect(p.cw.take()).toEqual([]);
    p.client.tick(T0 + 51 * MS);
    expect(p.cw.take()).toEqual([]);
    p.client.tick(T0 + 52 * MS); // 40 ms after the segment came in
    const ack = p.cw.take();
    expect(brief(ack)).toEqual([['A', 1101, 5201, 0]]);
    expect(p.client.stats.delayedAcks).toBe(1);
    expect(p.toServer(ack, T0 + 53 * MS)).toEqual([0]);
    expect(p.server.tcb(s)!.sndUna).toBe(5201);
  });

  test('a second full-sized segment is acknowledged at once', () => {
    const p = pair();
    const { c, s } = establish(p);
    p.client.send(c, bytes(2896), 0, 2896, T0 + MS);
    const f = p.cw.take();
    expect(brief(f)).toEqual([
      ['PA', 1001, 5001, 1448],
      ['PA', 2449, 5001, 1448],
    ]);
    expect(p.toServer([f[0]], T0 + MS)).toEqual([0]);
    expect(p.sw.take()).toEqual([]);
    expect(p.toServer([f[1]], T0 + MS)).toEqual([0]);
    expect(brief(p.sw.take())).toEqual([['A', 5001, 3897, 0]]);
    expect(p.se.bytes.get(s)).toEqual(bytes(2896));
  });

  test('a duplicate segment is acknowledged and not delivered twice; an out-of-window one is acknowledged and dropped', () => {
    const p = pair();
    const { c, s } = establish(p);
    p.client.send(c, bytes(300), 0, 300, T0 + MS);
    const f = p.cw.take();
    expect(p.toServer(f, T0 + MS)).toEqual([0]);
    expect(p.toServer(f, T0 + 2 * MS)).toEqual([TcpReason.duplicate_segment]);
    expect(brief(p.sw.take())).toEqual([['A', 5001, 1301, 0]]);
    expect(p.se.bytes.get(s)!.length).toBe(300);
    expect(p.se.take()).toEqual([`data ${s} 300`]);
    // 70000 bytes ahead: beyond the 65535-byte window
    expect(p.toServer([clientSegment(1301 + 70000, 5001, 0x18, bytes(10))], T0 + 3 * MS)).toEqual([
      TcpReason.out_of_window,
    ]);
    expect(brief(p.sw.take())).toEqual([['A', 5001, 1301, 0]]);
    // a segment that overlaps what was received: only the new bytes are delivered
    const overlap = Buffer.concat([bytes(300).subarray(200), bytes(50, 9)]);
    expect(p.toServer([clientSegment(1201, 5001, 0x18, overlap)], T0 + 4 * MS)).toEqual([0]);
    expect(p.se.take()).toEqual([`data ${s} 50`]);
    expect(p.se.bytes.get(s)!.subarray(300)).toEqual(bytes(50, 9));
    expect(p.server.drops()).toEqual({ duplicate_segment: 1, out_of_window: 1 });
  });

  test('an out-of-order segment is queued (duplicate ACK at once) and delivered when the hole fills', () => {
    const p = pair();
    const { c, s } = establish(p);
    const data = bytes(3 * 1448, 3);
    p.client.send(c, data, 0, data.length, T0 + MS);
    const [f1, f2, f3] = p.cw.take();
    expect(brief([f1, f2, f3])).toEqual([
      ['PA', 1001, 5001, 1448],
      ['PA', 2449, 5001, 1448],
      ['PA', 3897, 5001, 1448],
    ]);
    expect(p.toServer([f1], T0 + MS)).toEqual([0]);
    expect(p.sw.take()).toEqual([]);
    expect(p.toServer([f3], T0 + MS)).toEqual([0]);
    expect(brief(p.sw.take())).toEqual([['A', 5001, 2449, 0]]); // the duplicate ACK says where the hole is
    expect(p.se.take()).toEqual([`data ${s} 1448`]);
    expect(p.server.tcb(s)!.oooCount).toBe(1);
    expect(p.toServer([f2], T0 + MS)).toEqual([0]);
    expect(p.se.take()).toEqual([`data ${s} 1448`, `data ${s} 1448`]);
    expect(brief(p.sw.take())).toEqual([['A', 5001, 5345, 0]]);
    expect(p.se.bytes.get(s)).toEqual(data);
    expect(p.server.tcb(s)!.oooCount).toBe(0);
    expect(p.server.freePoolSegments).toBe(512);
  });

  test('the out-of-order queue is bounded: beyond it segments are dropped and counted', () => {
    const p = pair({}, { oooSegments: 2 });
    const { c, s } = establish(p);
    p.client.send(c, bytes(5 * 1448), 0, 5 * 1448, T0 + MS);
    const f = p.cw.take();
    expect(p.toServer([f[1], f[2], f[3], f[4]], T0 + MS)).toEqual([
      0,
      0,
      TcpReason.ooo_queue_full,
      TcpReason.ooo_queue_full,
    ]);
    expect(p.toServer([f[0]], T0 + MS)).toEqual([0]);
    expect(p.se.bytes.get(s)!.length).toBe(3 * 1448);
    expect(brief(p.sw.take()).pop()).toEqual(['A', 5001, 1001 + 3 * 1448, 0]);
    expect(p.server.drops().ooo_queue_full).toBe(2);
  });

  test('sequence numbers wrap at 2^32: a transfer each way across the wrap', () => {
    const ciss = 2 ** 32 - 10;
    const siss = 2 ** 32 - 5;
    const p = pair({ issFor: () => ciss }, { issFor: () => siss });
    const { c, s } = establish(p);
    expect(p.client.tcb(c)!.sndNxt).toBe(4294967287);
    const up = bytes(3000, 5);
    p.client.send(c, up, 0, 3000, T0 + MS);
    const f = p.cw.take();
    expect(brief(f)).toEqual([
      ['PA', 4294967287, 4294967292, 1448],
      ['PA', 1439, 4294967292, 1448],
      ['PA', 2887, 4294967292, 104],
    ]);
    expect(p.toServer(f, T0 + MS)).toEqual([0, 0, 0]);
    expect(brief(p.sw.take())).toEqual([['A', 4294967292, 2887, 0]]); // after two full segments
    expect(p.se.bytes.get(s)).toEqual(up);
    const down = bytes(3000, 6);
    p.server.send(s, down, 0, 3000, T0 + 2 * MS);
    const g = p.sw.take();
    expect(brief(g)).toEqual([
      ['PA', 4294967292, 2991, 1448],
      ['PA', 1444, 2991, 1448],
      ['PA', 2892, 2991, 104],
    ]);
    expect(p.toClient(g, T0 + 2 * MS)).toEqual([0, 0, 0]);
    expect(p.ce.bytes.get(c)).toEqual(down);
    expect(p.client.tcb(c)!.sndUna).toBe(2991); // the response's ACK covered all 3000 bytes
    expect(brief(p.cw.take())).toEqual([['A', 2991, 2892, 0]]);
    expect(seqAdd(siss, 1 + 3000)).toBe(2996);
    p.client.tick(T0 + 42 * MS);
    expect(brief(p.cw.take())).toEqual([['A', 2991, 2996, 0]]);
  });

  test('send is bounded by the send buffer; the rest waits for the peer to acknowledge', () => {
    const p = pair({ sendBufferBytes: 4000 });
    const { c } = establish(p);
    expect(p.client.send(c, bytes(10000), 0, 10000, T0 + MS)).toBe(3 * 1448);
    expect(p.client.drops().send_buffer_full).toBe(1);
    expect(p.toServer(p.cw.take(), T0 + MS)).toEqual([0, 0, 0]);
    p.toClient(p.sw.take(), T0 + MS); // ACK of the first two
    expect(p.client.send(c, bytes(10000), 0, 10000, T0 + MS)).toBe(2 * 1448);
  });
});
