// Hand-worked closes (client ISS 1000, server ISS 5000): client first, server first,
// simultaneous; TIME_WAIT expiry on the timer wheel and its bound; RST in its cases.

import { CloseReason, SegmentSpec, TcpReason, TcpState, buildSegment, segmentFrameLength } from '@vnflab/tcp';
import { CLIENT_IP, MS, SERVER_IP, T0, brief, establish, pair } from './helpers';

function segment(srcPort: number, dstPort: number, seq: number, ack: number, flags: number): Buffer {
  const sp = Object.assign(new SegmentSpec(), {
    srcIp: CLIENT_IP,
    dstIp: SERVER_IP,
    srcPort,
    dstPort,
    seq,
    ack,
    flags,
    window: 512,
  });
  const b = Buffer.alloc(segmentFrameLength(sp));
  buildSegment(b, 0, sp);
  return b;
}

describe('closing', () => {
  test('client closes first: FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT on the client; CLOSE_WAIT, LAST_ACK on the server', () => {
    const p = pair();
    const { c, s } = establish(p);
    expect(p.client.close(c, T0 + MS)).toBe(true);
    expect(p.client.state(c)).toBe(TcpState.FIN_WAIT_1);
    const fin = p.cw.take();
    expect(brief(fin)).toEqual([['FA', 1001, 5001, 0]]);
    expect(p.toServer(fin, T0 + 2 * MS)).toEqual([0]);
    expect(p.se.take()).toEqual([`peerClosed ${s}`]);
    expect(p.server.state(s)).toBe(TcpState.CLOSE_WAIT);
    const ack = p.sw.take();
    expect(brief(ack)).toEqual([['A', 5001, 1002, 0]]); // a FIN is acknowledged at once
    expect(p.toClient(ack, T0 + 3 * MS)).toEqual([0]);
    expect(p.client.state(c)).toBe(TcpState.FIN_WAIT_2);
    expect(p.server.close(s, T0 + 4 * MS)).toBe(true);
    expect(p.server.state(s)).toBe(TcpState.LAST_ACK);
    const fin2 = p.sw.take();
    expect(brief(fin2)).toEqual([['FA', 5001, 1002, 0]]);
    expect(p.toClient(fin2, T0 + 5 * MS)).toEqual([0]);
    expect(p.client.state(c)).toBe(TcpState.TIME_WAIT);
    expect(p.ce.take()).toEqual([`closed ${c} ${CloseReason.normal}`]);
    const ack2 = p.cw.take();
    expect(brief(ack2)).toEqual([['A', 1002, 5002, 0]]);
    expect(p.toServer(ack2, T0 + 6 * MS)).toEqual([0]);
    expect(p.se.take()).toEqual([`closed ${s} ${CloseReason.normal}`]);
    expect(p.server.connections).toBe(0);
    expect(p.server.state(s)).toBe(TcpState.CLOSED);
    // TIME_WAIT: 60 s from when it began, on the timer wheel
    expect(p.client.timeWaitCount).toBe(1);
    p.client.tick(T0 + 5 * MS + 59_999 * MS);
    expect(p.client.connections).toBe(1);
    p.client.tick(T0 + 5 * MS + 60_000 * MS);
    expect(p.client.connections).toBe(0);
    expect(p.client.timeWaitCount).toBe(0);
    expect(p.client.stats.timeWaitExpired).toBe(1);
    expect(p.client.state(c)).toBe(TcpState.CLOSED);
    expect(p.ce.take()).toEqual([]); // `closed` was said once, when TIME_WAIT began
  });

  test('server closes first after its response (HTTP/1.0): the server holds TIME_WAIT', () => {
    const p = pair({}, { timeWaitMs: 1000 });
    const { c, s } = establish(p);
    p.server.send(s, Buffer.from('hello'), 0, 5, T0 + MS);
    expect(p.server.close(s, T0 + MS)).toBe(true);
    const f = p.sw.take();
    expect(brief(f)).toEqual([
      ['PA', 5001, 1001, 5],
      ['FA', 5006, 1001, 0],
    ]);
    expect(p.toClient(f, T0 + 2 * MS)).toEqual([0, 0]);
    expect(p.ce.take()).toEqual([`data ${c} 5`, `peerClosed ${c}`]);
    expect(brief(p.cw.take())).toEqual([['A', 1001, 5007, 0]]);
    expect(p.client.close(c, T0 + 3 * MS)).toBe(true);
    const fin = p.cw.take();
    expect(brief(fin)).toEqual([['FA', 1001, 5007, 0]]);
    expect(p.server.state(s)).toBe(TcpState.FIN_WAIT_1); // the client's ACK has not arrived yet
    expect(p.toServer(fin, T0 + 4 * MS)).toEqual([0]); // FIN with the ACK of ours: straight to TIME_WAIT
    expect(p.server.state(s)).toBe(TcpState.TIME_WAIT);
    expect(p.se.take()).toEqual([`closed ${s} ${CloseReason.normal}`]);
    const last = p.sw.take();
    expect(brief(last)).toEqual([['A', 5007, 1002, 0]]);
    expect(p.toClient(last, T0 + 5 * MS)).toEqual([0]);
    expect(p.ce.take()).toEqual([`closed ${c} ${CloseReason.normal}`]);
    expect(p.client.connections).toBe(0);
    // the client's FIN again (as if our ACK were lost): ACKed again, TIME_WAIT restarted
    expect(p.toServer(fin, T0 + 500 * MS)).toEqual([TcpReason.duplicate_segment]);
    expect(brief(p.sw.take())).toEqual([['A', 5007, 1002, 0]]);
    p.server.tick(T0 + 1004 * MS);
    expect(p.server.state(s)).toBe(TcpState.TIME_WAIT);
    p.server.tick(T0 + 1500 * MS);
    expect(p.server.state(s)).toBe(TcpState.CLOSED);
  });

  test('FIN_WAIT_2 without the peer FIN ends after finTimeoutMs', () => {
    const p = pair({ finTimeoutMs: 5000 });
    const { c } = establish(p);
    p.client.close(c, T0);
    p.toServer(p.cw.take(), T0);
    p.toClient(p.sw.take(), T0 + MS);
    expect(p.client.state(c)).toBe(TcpState.FIN_WAIT_2);
    p.client.tick(T0 + 5000 * MS);
    expect(p.client.state(c)).toBe(TcpState.FIN_WAIT_2);
    p.client.tick(T0 + 5001 * MS);
    expect(p.client.state(c)).toBe(TcpState.CLOSED);
    expect(p.ce.take()).toEqual([`closed ${c} ${CloseReason.timeout}`]);
    expect(p.client.drops().fin_wait2_timeout).toBe(1);
  });

  test('simultaneous close: FINs cross, both go through CLOSING to TIME_WAIT', () => {
    const p = pair();
    const { c, s } = establish(p);
    p.client.close(c, T0 + MS);
    p.server.close(s, T0 + MS);
    const cf = p.cw.take();
    const sf = p.sw.take();
    expect(brief(cf)).toEqual([['FA', 1001, 5001, 0]]);
    expect(brief(sf)).toEqual([['FA', 5001, 1001, 0]]);
    expect(p.toClient(sf, T0 + 2 * MS)).toEqual([0]);
    expect(p.toServer(cf, T0 + 2 * MS)).toEqual([0]);
    expect(p.client.state(c)).toBe(TcpState.CLOSING);
    expect(p.server.state(s)).toBe(TcpState.CLOSING);
    const ca = p.cw.take();
    const sa = p.sw.take();
    expect(brief(ca)).toEqual([['A', 1002, 5002, 0]]);
    expect(brief(sa)).toEqual([['A', 5002, 1002, 0]]);
    expect(p.toClient(sa, T0 + 3 * MS)).toEqual([0]);
    expect(p.toServer(ca, T0 + 3 * MS)).toEqual([0]);
    expect(p.client.state(c)).toBe(TcpState.TIME_WAIT);
    expect(p.server.state(s)).toBe(TcpState.TIME_WAIT);
    expect(p.ce.take()).toEqual([`peerClosed ${c}`, `closed ${c} ${CloseReason.normal}`]);
    expect(p.se.take()).toEqual([`peerClosed ${s}`, `closed ${s} ${CloseReason.normal}`]);
  });

  test('TIME_WAIT is bounded: beyond maxTwBuckets a closing connection is freed at once and counted', () => {
    const p = pair({ maxTwBuckets: 1 });
    for (const port of [40000, 40001]) {
      const { c, s } = establish(p, T0, port);
      p.client.close(c, T0);
      p.toServer(p.cw.take(), T0);
      p.server.close(s, T0);
      p.toClient(p.sw.take(), T0);
      p.toServer(p.cw.take(), T0);
    }
    expect(p.client.timeWaitCount).toBe(1);
    expect(p.client.connections).toBe(1);
    expect(p.client.drops().tw_bucket_overflow).toBe(1);
  });

  test('a new SYN above a TIME_WAIT connection reopens the 4-tuple', () => {
    const p = pair({}, {});
    const { c, s } = establish(p);
    p.server.close(s, T0);
    p.toClient(p.sw.take(), T0);
    p.client.close(c, T0);
    p.toServer(p.cw.take(), T0);
    p.toClient(p.sw.take(), T0);
    expect(p.server.state(s)).toBe(TcpState.TIME_WAIT);
    expect(p.client.connections).toBe(0);
    // same port again, ISS above what the server received (1002)
    const q = pair({ issFor: () => 90000 });
    q.client.connect(SERVER_IP, 80, T0 + MS, 40000);
    expect(p.toServer(q.cw.take(), T0 + MS)).toEqual([0]);
    expect(brief(p.sw.take())).toEqual([['SA', 5000, 90001, 0]]);
    expect(p.server.stats.timeWaitReused).toBe(1);
    expect(p.server.timeWaitCount).toBe(0);
  });
});

describe('RST', () => {
  test('abort mid-transfer: RST at SND.NXT, the peer frees the connection and reports a reset', () => {
    const p = pair();
    const { c, s } = establish(p);
    p.client.send(c, Buffer.alloc(100), 0, 100, T0 + MS);
    const data = p.cw.take();
    expect(p.client.abort(c, T0 + MS)).toBe(true);
    expect(p.ce.take()).toEqual([`closed ${c} ${CloseReason.aborted}`]);
    const rst = p.cw.take();
    expect(brief(rst)).toEqual([['R', 1101, 0, 0]]);
    expect(p.toServer(data, T0 + 2 * MS)).toEqual([0]);
    expect(p.toServer(rst, T0 + 2 * MS)).toEqual([0]);
    expect(p.se.take()).toEqual([`data ${s} 100`, `closed ${s} ${CloseReason.reset}`]);
    expect(p.server.connections).toBe(0);
    expect(p.client.send(c, Buffer.alloc(1), 0, 1, T0 + 3 * MS)).toBe(-1); // a stale id is refused
  });

  test('an RST in the window but not at RCV.NXT gets a challenge ACK and resets nothing (RFC 5961)', () => {
    const p = pair();
    const { s } = establish(p);
    expect(p.toServer([segment(40000, 80, 1011, 0, 0x04)], T0 + MS)).toEqual([TcpReason.rst_ignored]);
    expect(brief(p.sw.take())).toEqual([['A', 5001, 1001, 0]]);
    expect(p.server.state(s)).toBe(TcpState.ESTABLISHED);
    // out of the window: ignored without an answer
    expect(p.toServer([segment(40000, 80, 1001 + 100000, 0, 0x04)], T0 + MS)).toEqual([TcpReason.rst_ignored]);
    expect(p.sw.take()).toEqual([]);
  });

  test('segments for a connection that does not exist get an RST (RFC 9293 §3.10.7.1)', () => {
    const p = pair();
    // ACK to a listening port, no such connection: <SEQ=SEG.ACK><CTL=RST>
    expect(p.toServer([segment(45000, 80, 300, 7777, 0x10)], T0)).toEqual([TcpReason.no_connection]);
    expect(brief(p.sw.take())).toEqual([['R', 7777, 0, 0]]);
    // data without ACK to a closed port: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
    expect(p.toServer([segment(45000, 9999, 300, 0, 0x01)], T0)).toEqual([TcpReason.closed_port]);
    expect(brief(p.sw.take())).toEqual([['RA', 0, 301, 0]]);
    // an RST for nothing gets no answer
    expect(p.toServer([segment(45000, 9999, 300, 0, 0x04)], T0)).toEqual([TcpReason.closed_port]);
    expect(p.sw.take()).toEqual([]);
    expect(p.server.stats.resetsSent).toBe(2);
  });

  test('an RST to a SYN-RECEIVED connection frees it; the listener keeps listening', () => {
    const p = pair();
    p.client.connect(SERVER_IP, 80, T0, 40000);
    p.toServer(p.cw.take(), T0);
    p.sw.take();
    expect(p.toServer([segment(40000, 80, 1001, 0, 0x04)], T0 + MS)).toEqual([0]);
    expect(p.server.connections).toBe(0);
    expect(p.server.listener(80)!.synCount).toBe(0);
    expect(p.se.take()).toEqual([]);
    const { s } = establish(p, T0 + 2 * MS, 40001); // a new handshake on the listener works
    expect(p.server.state(s)).toBe(TcpState.ESTABLISHED);
  });
});
