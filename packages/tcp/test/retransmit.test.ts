// Retransmission on the timer wheel (client ISS 1000, server ISS 5000): RTO from RFC 6298 with
// Linux's 200 ms floor, doubling per timeout, the retry limit; SYN retries of connect().

import { CloseReason, TcpReason } from '@vnflab/tcp';
import { MS, SERVER_IP, T0, brief, establish, pair } from './helpers';

describe('retransmission', () => {
  test('a lost segment is sent again at the RTO, doubling each time, and the connection gives up after retries2', () => {
    const p = pair({ retries2: 3 });
    const { c } = establish(p); // the handshake's RTT sample is 0 ms: RTO = max(200 ms, 0 + 1 ms) = 200 ms
    expect(p.client.tcb(c)!.rto.baseMs).toBe(200);
    p.client.send(c, Buffer.alloc(100, 1), 0, 100, T0 + 10 * MS);
    expect(brief(p.cw.take())).toEqual([['PA', 1001, 5001, 100]]); // lost
    const at = (ms: number): [string, number, number, number][] => {
      p.client.tick(T0 + ms * MS);
      return brief(p.cw.take());
    };
    expect(at(209)).toEqual([]);
    expect(at(210)).toEqual([['PA', 1001, 5001, 100]]); // +200
    expect(at(609)).toEqual([]);
    expect(at(610)).toEqual([['PA', 1001, 5001, 100]]); // +400
    expect(at(1409)).toEqual([]);
    expect(at(1410)).toEqual([['PA', 1001, 5001, 100]]); // +800
    expect(p.client.stats.retransmits).toBe(3);
    expect(at(3009)).toEqual([]);
    expect(p.ce.take()).toEqual([]);
    expect(at(3010)).toEqual([]); // +1600: the fourth timeout is past retries2 = 3
    expect(p.ce.take()).toEqual([`closed ${c} ${CloseReason.timeout}`]);
    expect(p.client.drops().retransmit_limit).toBe(1);
    expect(p.client.connections).toBe(0);
    expect(p.client.freePoolSegments).toBe(512);
  });

  test('the retransmission is delivered once, its ACK stops the timer and resets the backoff', () => {
    const p = pair();
    const { c, s } = establish(p);
    p.client.send(c, Buffer.from('abc'), 0, 3, T0 + 10 * MS);
    p.cw.take(); // lost
    p.client.tick(T0 + 210 * MS);
    const again = p.cw.take();
    expect(brief(again)).toEqual([['PA', 1001, 5001, 3]]);
    expect(p.toServer(again, T0 + 211 * MS)).toEqual([0]);
    expect(p.se.take()).toEqual([`data ${s} 3`]);
    p.server.tick(T0 + 251 * MS);
    const ack = p.sw.take();
    expect(brief(ack)).toEqual([['A', 5001, 1004, 0]]);
    expect(p.toClient(ack, T0 + 252 * MS)).toEqual([0]);
    const t = p.client.tcb(c)!;
    expect([t.sndUna, t.rto.backoff, t.retransmits]).toEqual([1004, 0, 0]);
    p.client.tick(T0 + 10_000 * MS);
    expect(p.cw.take()).toEqual([]);
    expect(p.client.stats.retransmits).toBe(1);
    // Karn: the retransmitted segment gave no RTT sample, so the RTO is still the handshake's
    expect(t.rto.baseMs).toBe(200);
  });

  test('a lost FIN is sent again', () => {
    const p = pair();
    const { c } = establish(p);
    p.client.close(c, T0 + MS);
    expect(brief(p.cw.take())).toEqual([['FA', 1001, 5001, 0]]);
    p.client.tick(T0 + 201 * MS);
    expect(brief(p.cw.take())).toEqual([['FA', 1001, 5001, 0]]);
  });

  test('connect(): the SYN is retried at 1 s, 2 s, 4 s ... and gives up after synRetries', () => {
    const p = pair({ synRetries: 2 });
    const c = p.client.connect(SERVER_IP, 80, T0, 40000);
    expect(brief(p.cw.take())).toEqual([['S', 1000, 0, 0]]);
    p.client.tick(T0 + 999 * MS);
    expect(p.cw.take()).toEqual([]);
    p.client.tick(T0 + 1000 * MS);
    expect(brief(p.cw.take())).toEqual([['S', 1000, 0, 0]]);
    p.client.tick(T0 + 3000 * MS);
    expect(brief(p.cw.take())).toEqual([['S', 1000, 0, 0]]);
    p.client.tick(T0 + 7000 * MS);
    expect(p.cw.take()).toEqual([]);
    expect(p.ce.take()).toEqual([`closed ${c} ${CloseReason.timeout}`]);
    expect(p.client.drops()).toEqual({ retransmit_limit: 1 });
  });

  test('a frame the sink has no room for is counted and recovered by retransmission', () => {
    const p = pair();
    const { c, s } = establish(p);
    p.cw.refuse = true;
    expect(p.client.send(c, Buffer.from('xyz'), 0, 3, T0 + MS)).toBe(3);
    expect(p.client.drops().tx_no_room).toBe(1);
    p.cw.refuse = false;
    p.client.tick(T0 + 201 * MS);
    expect(p.toServer(p.cw.take(), T0 + 202 * MS)).toEqual([0]);
    expect(p.se.bytes.get(s)!.toString()).toBe('xyz');
    expect(TcpReason.tx_no_room).toBeGreaterThan(0);
  });
});
