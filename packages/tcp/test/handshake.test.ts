// Hand-worked three-way handshakes (client ISS 1000, server ISS 5000): exact seq/ack/flags and
// the options each side offers and keeps; then the listener's limits and SYN-RECEIVED timeouts.

import {
  CLOSE_REASON_NAMES,
  CloseReason,
  SegmentSpec,
  TcpReason,
  TcpState,
  buildSegment,
  segmentFrameLength,
} from '@vnflab/tcp';
import { CLIENT_IP, MS, SERVER_IP, T0, brief, establish, pair, seg } from './helpers';

/** A SYN from a peer that is not this library (no options unless given), as a frame. */
function rawSyn(srcPort: number, seq: number, opts: Partial<SegmentSpec> = {}): Buffer {
  const sp = Object.assign(new SegmentSpec(), {
    srcIp: CLIENT_IP,
    dstIp: SERVER_IP,
    srcPort,
    dstPort: 80,
    seq,
    flags: 0x02,
    window: 8192,
    ...opts,
  });
  const b = Buffer.alloc(segmentFrameLength(sp));
  buildSegment(b, 0, sp);
  return b;
}

describe('three-way handshake', () => {
  test('SYN, SYN-ACK, ACK with MSS, window scale and timestamps negotiated', () => {
    const p = pair();
    const c = p.client.connect(SERVER_IP, 80, T0, 40000);
    expect(p.client.state(c)).toBe(TcpState.SYN_SENT);
    const [syn] = p.cw.take();
    const s1 = seg(syn);
    expect([s1.flags, s1.seq, s1.ack, s1.len]).toEqual(['S', 1000, 0, 0]);
    expect([s1.mss, s1.wscale, s1.ts, s1.tsVal, s1.tsEcr, s1.win]).toEqual([1460, 7, true, 5_000_000, 0, 65535]);
    expect(s1.sackPermitted).toBe(false);

    expect(p.toServer([syn], T0 + 1 * MS)).toEqual([0]);
    expect(p.server.listener(80)!.synCount).toBe(1);
    const [synAck] = p.sw.take();
    const s2 = seg(synAck);
    expect([s2.flags, s2.seq, s2.ack, s2.len]).toEqual(['SA', 5000, 1001, 0]);
    expect([s2.mss, s2.wscale, s2.ts, s2.tsVal, s2.tsEcr]).toEqual([1460, 7, true, 5_000_001, 5_000_000]);

    expect(p.toClient([synAck], T0 + 2 * MS)).toEqual([0]);
    expect(p.ce.take()).toEqual([`connected ${c}`]);
    expect(p.client.state(c)).toBe(TcpState.ESTABLISHED);
    const [ack] = p.cw.take();
    const s3 = seg(ack);
    expect([s3.flags, s3.seq, s3.ack, s3.len]).toEqual(['A', 1001, 5001, 0]);
    expect([s3.win, s3.tsVal, s3.tsEcr]).toEqual([65535 >> 7, 5_000_002, 5_000_001]);

    expect(p.toServer([ack], T0 + 3 * MS)).toEqual([0]);
    const sid = p.server.find(SERVER_IP, 80, CLIENT_IP, 40000);
    expect(p.se.take()).toEqual([`acceptReady 80 ${sid}`]);
    expect(p.server.listener(80)!.synCount).toBe(0);
    expect(p.server.accept(80)).toBe(sid);
    expect(p.server.accept(80)).toBe(-1);
    // both keep what was negotiated: 1460 less the 12 bytes of timestamps, the peer's shift of 7
    for (const t of [p.client.tcb(c)!, p.server.tcb(sid)!]) {
      expect([t.state, t.sendMss, t.sndScale, t.rcvScale, t.tsOk, t.sackOk]).toEqual([
        TcpState.ESTABLISHED,
        1448,
        7,
        7,
        true,
        false,
      ]);
    }
    expect(p.client.tcb(c)!.sndWnd).toBe(65535); // from the SYN-ACK: never scaled
    expect(p.server.tcb(sid)!.sndWnd).toBe((65535 >> 7) << 7);
  });

  test('a SYN without options gets a SYN-ACK without window scale or timestamps, and MSS 536 is assumed', () => {
    const p = pair();
    expect(p.toServer([rawSyn(41000, 777)], T0)).toEqual([0]);
    const s = seg(p.sw.take()[0]);
    expect([s.flags, s.seq, s.ack, s.mss, s.wscale, s.ts, s.win]).toEqual(['SA', 5000, 778, 1460, -1, false, 65535]);
    const t = p.server.tcb(p.server.find(SERVER_IP, 80, CLIENT_IP, 41000))!;
    expect([t.sendMss, t.sndScale, t.rcvScale, t.tsOk, t.sndWnd]).toEqual([536, 0, 0, false, 8192]);
  });

  test('SACK-permitted is offered and kept only when both ends want it', () => {
    const p = pair({ sackPermitted: true }, { sackPermitted: true });
    const { c } = establish(p);
    expect(p.client.tcb(c)!.sackOk).toBe(true);
    const q = pair({ sackPermitted: true }, {});
    q.client.connect(SERVER_IP, 80, T0, 40000);
    const syn = q.cw.take();
    expect(seg(syn[0]).sackPermitted).toBe(true);
    q.toServer(syn, T0);
    expect(seg(q.sw.take()[0]).sackPermitted).toBe(false);
  });

  test('a retransmitted SYN in SYN-RECEIVED gets the same SYN-ACK again and opens nothing new', () => {
    const p = pair();
    const syn = rawSyn(41000, 777, { mss: 1460 });
    expect(p.toServer([syn], T0)).toEqual([0]);
    expect(p.toServer([syn], T0 + 500 * MS)).toEqual([TcpReason.duplicate_segment]);
    expect(brief(p.sw.take())).toEqual([
      ['SA', 5000, 778, 0],
      ['SA', 5000, 778, 0],
    ]);
    expect(p.server.connections).toBe(1);
    expect(p.server.listener(80)!.synCount).toBe(1);
    expect(p.server.stats.duplicateSyns).toBe(1);
  });

  test('connect to a closed port: RST,ACK refuses it', () => {
    const p = pair();
    const c = p.client.connect(SERVER_IP, 81, T0, 40000);
    expect(p.toServer(p.cw.take(), T0)).toEqual([TcpReason.closed_port]);
    const rst = p.sw.take();
    expect(brief(rst)).toEqual([['RA', 0, 1001, 0]]);
    expect(p.toClient(rst, T0)).toEqual([0]);
    expect(p.ce.take()).toEqual([`closed ${c} ${CloseReason.refused}`]);
    expect(p.client.connections).toBe(0);
    expect(CLOSE_REASON_NAMES[CloseReason.refused]).toBe('refused');
  });
});

describe('listener limits', () => {
  test('SYN flood beyond the SYN queue: counted drops, bounded table, an established connection still served', () => {
    const p = pair({}, { maxConnections: 64 }, 4);
    const { c, s } = establish(p, T0, 40000);
    const verdicts = p.toServer(
      Array.from({ length: 50 }, (_, i) => rawSyn(50000 + i, 100 * i)),
      T0 + MS,
    );
    // backlog 4: Linux 3.10 makes a SYN queue of roundup_pow_of_two(max(4, 8) + 1) = 16
    expect(p.server.listener(80)!.synBacklog).toBe(16);
    expect(verdicts.filter((v) => v === 0)).toHaveLength(16);
    expect(verdicts.filter((v) => v === TcpReason.syn_queue_full)).toHaveLength(34);
    expect(p.server.drops().syn_queue_full).toBe(34);
    expect(p.server.listener(80)!.synCount).toBe(16);
    expect(p.server.connections).toBe(17); // 16 half-open + the established one, no more
    expect(p.server.freePoolSegments).toBe(512); // half-open connections hold no buffers
    expect(p.sw.take().map((f) => seg(f).flags)).toEqual(Array(16).fill('SA'));
    // the established connection still carries data both ways
    p.client.send(c, Buffer.from('GET / HTTP/1.0\r\n\r\n'), 0, 18, T0 + 2 * MS);
    expect(p.toServer(p.cw.take(), T0 + 2 * MS)).toEqual([0]);
    expect(p.se.bytes.get(s)!.toString()).toBe('GET / HTTP/1.0\r\n\r\n');
    p.server.send(s, Buffer.from('ok'), 0, 2, T0 + 3 * MS);
    expect(p.toClient(p.sw.take(), T0 + 3 * MS)).toEqual([0]);
    expect(p.ce.bytes.get(c)!.toString()).toBe('ok');
  });

  test('accept queue overflow: the final ACK is dropped until accept() makes room, then the retransmitted SYN-ACK completes it', () => {
    const p = pair({}, {}, 2);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(p.client.connect(SERVER_IP, 80, T0, 40000 + i));
      p.toServer(p.cw.take(), T0);
    }
    p.toClient(p.sw.take(), T0);
    const acks = p.cw.take();
    expect(p.toServer(acks, T0)).toEqual([0, 0, TcpReason.accept_queue_full]);
    expect(p.server.listener(80)!.acceptCount).toBe(2);
    const third = p.server.find(SERVER_IP, 80, CLIENT_IP, 40002);
    expect(p.server.state(third)).toBe(TcpState.SYN_RECEIVED);
    // a fourth SYN while the accept queue is full is dropped as Linux drops it
    p.client.connect(SERVER_IP, 80, T0, 40003);
    expect(p.toServer(p.cw.take(), T0)).toEqual([TcpReason.accept_queue_full]);
    expect(p.server.accept(80)).toBeGreaterThanOrEqual(0);
    // the SYN-ACK timer (initial RTO, 1 s) sends the SYN-ACK again; the client answers with an ACK
    p.server.tick(T0 + 999 * MS);
    expect(p.sw.take()).toEqual([]);
    p.server.tick(T0 + 1000 * MS);
    const again = p.sw.take();
    expect(brief(again)).toEqual([['SA', 5000, 1001, 0]]);
    expect(p.toClient(again, T0 + 1000 * MS)).toEqual([TcpReason.duplicate_segment]);
    const ack = p.cw.take();
    expect(brief(ack)).toEqual([['A', 1001, 5001, 0]]);
    expect(p.toServer(ack, T0 + 1000 * MS)).toEqual([0]);
    expect(p.server.state(third)).toBe(TcpState.ESTABLISHED);
    expect(p.server.drops().accept_queue_full).toBe(2);
  });

  test('a client that never ACKs the SYN-ACK: SYN-ACK retried with backoff, then SYN-RECEIVED freed', () => {
    const p = pair({}, { synAckRetries: 2 });
    p.toServer([rawSyn(41000, 777)], T0);
    const at = (ms: number): string[] => {
      p.server.tick(T0 + ms * MS);
      return p.sw.take().map((f) => `${seg(f).flags} ${seg(f).seq}`);
    };
    expect(p.sw.take()).toHaveLength(1);
    expect(at(999)).toEqual([]);
    expect(at(1000)).toEqual(['SA 5000']);
    expect(at(2999)).toEqual([]);
    expect(at(3000)).toEqual(['SA 5000']); // 2 s after: doubled
    expect(at(6999)).toEqual([]);
    expect(p.server.connections).toBe(1);
    expect(at(7000)).toEqual([]); // 4 s after: given up, nothing sent
    expect(p.server.connections).toBe(0);
    expect(p.server.listener(80)!.synCount).toBe(0);
    expect(p.server.drops().synack_timeout).toBe(1);
    expect(p.se.take()).toEqual([]); // never established: the layer above never heard of it
  });
});
