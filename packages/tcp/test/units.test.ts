// The mechanisms under the endpoint, each on its own: sequence arithmetic, the segment codec,
// the connection table, the timer wheel.

import { PROTO_UDP, buildFrame, fillChecksums, l4ChecksumValid, ipFromString } from '@vnflab/core';
import {
  ConnTable,
  SegmentSpec,
  TcpReason,
  TcpSegment,
  TimerWheel,
  buildSegment,
  parseSegment,
  segmentFrameLength,
  seqAdd,
  seqDiff,
  seqGeq,
  seqGt,
  seqInRange,
  seqLeq,
  seqLt,
  synQueueBound,
} from '@vnflab/tcp';
import { MS, SERVER_IP, T0, establish, pair } from './helpers';

describe('sequence arithmetic modulo 2^32', () => {
  test('comparisons across the wrap', () => {
    const top = 2 ** 32 - 10;
    expect(seqLt(top, 5)).toBe(true);
    expect(seqGt(5, top)).toBe(true);
    expect(seqLt(5, top)).toBe(false);
    expect(seqLeq(7, 7) && seqGeq(7, 7)).toBe(true);
    expect(seqAdd(top, 20)).toBe(10);
    expect(seqDiff(top, 10)).toBe(20);
    expect(seqDiff(10, top)).toBe(-20);
    expect(seqInRange(3, top, 100)).toBe(true);
    expect(seqInRange(100, top, 100)).toBe(false);
    expect(seqInRange(top - 1, top, 100)).toBe(false);
  });
});

describe('segment codec', () => {
  function spec(): SegmentSpec {
    return Object.assign(new SegmentSpec(), {
      srcIp: ipFromString('192.168.1.1'),
      dstIp: ipFromString('192.168.1.2'),
      srcPort: 1234,
      dstPort: 80,
      seq: 0xfffffff0,
      ack: 0x80000001,
      flags: 0x12,
      window: 29200,
      mss: 1460,
      wscale: 7,
      sackPermitted: true,
      timestamp: true,
      tsVal: 0xdeadbeef,
      tsEcr: 42,
      payload: Buffer.from('hello'),
      payloadLen: 5,
    });
  }

  test('build then parse: every field and option back, checksums valid, options laid out as Linux does', () => {
    const sp = spec();
    const len = segmentFrameLength(sp);
    expect(len).toBe(14 + 20 + 20 + 20 + 5); // MSS 4, SACK-perm+TS 12, NOP+WS 4
    const b = Buffer.alloc(len + 10);
    expect(buildSegment(b, 10, sp)).toBe(len);
    expect(l4ChecksumValid(b, 24, 44, len - 34)).toBe(true);
    expect([...b.subarray(64, 84)]).toEqual([
      2, 4, 5, 180, 4, 2, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 42, 1, 3, 3, 7,
    ]);
    const s = new TcpSegment();
    expect(parseSegment(b, 10, len, s)).toBe(0);
    expect([s.srcPort, s.dstPort, s.seq, s.ack, s.flags, s.window]).toEqual([
      1234, 80, 0xfffffff0, 0x80000001, 0x12, 29200,
    ]);
    expect([s.mss, s.wscale, s.sackPermitted, s.hasTimestamp, s.tsVal, s.tsEcr]).toEqual([
      1460,
      7,
      true,
      true,
      0xdeadbeef,
      42,
    ]);
    expect(b.subarray(s.payloadOff, s.payloadOff + s.payloadLen).toString()).toBe('hello');
    expect(s.seqLen).toBe(6); // SYN counts one
  });

  test('bad frames are named: checksums, option lengths, not TCP, truncated', () => {
    const sp = spec();
    const len = segmentFrameLength(sp);
    const s = new TcpSegment();
    const b = Buffer.alloc(len);
    buildSegment(b, 0, sp);
    b[len - 1] ^= 1;
    expect(parseSegment(b, 0, len, s)).toBe(TcpReason.bad_l4_checksum);
    buildSegment(b, 0, sp);
    b[14 + 8] = 1; // TTL, under the IP checksum
    expect(parseSegment(b, 0, len, s)).toBe(TcpReason.bad_ip_checksum);
    buildSegment(b, 0, sp);
    b[54 + 1] = 40; // MSS option claims 40 bytes
    fillChecksums(b, 0);
    expect(parseSegment(b, 0, len, s)).toBe(TcpReason.bad_tcp_option);
    buildSegment(b, 0, sp);
    b[54 + 1] = 3; // MSS option of the wrong length
    fillChecksums(b, 0);
    expect(parseSegment(b, 0, len, s)).toBe(TcpReason.bad_tcp_option);
    const udp = buildFrame({ srcIp: 1, dstIp: 2, proto: 'udp', srcPort: 1, dstPort: 2, frameLen: 60 });
    expect(udp[23]).toBe(PROTO_UDP);
    expect(parseSegment(udp, 0, udp.length, s)).toBe(TcpReason.not_tcp);
    expect(parseSegment(b, 0, 30, s)).toBe(TcpReason.truncated);
  });
});

describe('connection table', () => {
  test('lookups stay right through inserts and removals (backward-shift deletion), against a Map', () => {
    const t = new ConnTable(512);
    const model = new Map<string, number>();
    let x = 12345;
    const rnd = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    for (let step = 0; step < 8000; step++) {
      const lport = 80;
      const rip = 0x0a000000 + rnd(4);
      const rport = 1024 + rnd(300);
      const key = `${rip}:${rport}`;
      const found = t.lookup(1, lport, rip, rport);
      expect(found ? found.id : undefined).toBe(model.get(key));
      if (found) {
        t.remove(found);
        model.delete(key);
      } else if (model.size < 512) {
        const n = t.insert(1, lport, rip, rport)!;
        model.set(key, n.id);
      }
    }
    expect(t.used).toBe(model.size);
    for (const [key, id] of model) {
      const [rip, rport] = key.split(':').map(Number);
      expect(t.lookup(1, 80, rip, rport)!.id).toBe(id);
      expect(t.get(id)!.remotePort).toBe(rport);
    }
  });

  test('an id goes stale when its slot is reused; a full table refuses', () => {
    const t = new ConnTable(2);
    const a = t.insert(1, 80, 2, 1000)!;
    const idA = a.id;
    t.remove(a);
    const b = t.insert(1, 80, 2, 1001)!;
    expect(t.slotOf(b)).toBe(idA & 1);
    expect(b.id).not.toBe(idA);
    expect(t.get(idA)).toBeNull();
    expect(t.get(b.id)).toBe(b);
    expect(t.insert(1, 80, 2, 1002)).not.toBeNull();
    expect(t.insert(1, 80, 2, 1003)).toBeNull();
    expect(t.get(-1)).toBeNull();
    expect(t.get(1.5)).toBeNull();
  });
});

describe('timer wheel', () => {
  test('fires each timer at its tick, beyond the ring too, and never early', () => {
    const w = new TimerWheel(8, 64);
    const fired: string[] = [];
    const h = { onTimer: (t: number, now: number) => fired.push(`${t}@${now}`) };
    w.schedule(0, 1005);
    w.schedule(1, 1040);
    w.schedule(2, 1000 + 3000); // 3000 ticks out: round the 64-slot ring many times
    w.advance(1000, h);
    w.advance(1004, h);
    expect(fired).toEqual([]);
    w.advance(1005, h);
    expect(fired).toEqual(['0@1005']);
    w.advance(1040 + 64 * 10, h); // a jump: passes slot of timer 2 several times, not its tick
    expect(fired).toEqual(['0@1005', '1@1680']);
    w.advance(3999, h);
    expect(fired).toHaveLength(2);
    w.advance(4000, h);
    expect(fired).toEqual(['0@1005', '1@1680', '2@4000']);
    expect(w.size).toBe(0);
  });

  test('a timer armed behind the last tick fires at the next advance, not a turn of the ring later', () => {
    const w = new TimerWheel(2, 16);
    const fired: number[] = [];
    const h = { onTimer: (_t: number, now: number) => fired.push(now) };
    w.schedule(1, 200);
    w.advance(100, h);
    w.schedule(0, 90); // a caller whose clock is behind the wheel's
    w.advance(101, h);
    expect(fired).toEqual([101]);
  });

  test('a handler may cancel a timer due in the same advance, and re-arm its own', () => {
    const w = new TimerWheel(4, 16);
    const fired: number[] = [];
    w.schedule(0, 10);
    w.schedule(1, 10);
    w.schedule(2, 10);
    w.advance(9, { onTimer: () => undefined });
    w.advance(10, {
      onTimer: (t) => {
        fired.push(t);
        for (const o of [0, 1, 2]) if (o !== t) w.cancel(o);
        w.schedule(t, 20);
      },
    });
    expect(fired).toHaveLength(1);
    expect(w.armed(fired[0])).toBe(true);
    expect(w.size).toBe(1);
  });
});

test('SYN queue bound as Linux 3.10 sizes it', () => {
  expect(synQueueBound(128, 1024)).toBe(256);
  expect(synQueueBound(4, 1024)).toBe(16);
  expect(synQueueBound(4096, 1024)).toBe(2048);
});

describe('bad input', () => {
  test('random bytes and truncated frames are dropped with a reason, never thrown; the endpoint keeps working', () => {
    const p = pair();
    const { c, s } = establish(p);
    p.client.send(c, Buffer.alloc(500, 7), 0, 500, T0 + MS);
    const [good] = p.cw.take();
    let x = 99;
    const rnd = (): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x >>> 8;
    };
    const verdicts = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      let f: Buffer;
      if (i % 3 === 0) f = Buffer.from(Array.from({ length: rnd() % 120 }, () => rnd() & 0xff));
      else if (i % 3 === 1) f = good.subarray(0, rnd() % good.length);
      else {
        f = Buffer.from(good);
        f[12 + (rnd() % (f.length - 12))] ^= 1 << (rnd() % 8); // one flipped bit past the MACs: a checksum catches it
      }
      const v = p.server.input(f, 0, f.length, T0 + 2 * MS);
      expect(v).toBeGreaterThan(0);
      verdicts.add(v);
    }
    expect(p.server.input(good, 10, good.length, T0)).toBe(TcpReason.truncated); // past the buffer's end
    expect(verdicts.size).toBeGreaterThan(3);
    expect(p.toServer([good], T0 + 3 * MS)).toEqual([0]);
    expect(p.se.bytes.get(s)).toEqual(Buffer.alloc(500, 7));
    expect(() => p.client.send(c, Buffer.alloc(4), 2, 4, T0)).toThrow(
      'tcp.send: bytes 2..6 are outside the 4-byte source',
    );
    expect(() => p.client.connect(SERVER_IP, 0, T0)).toThrow('tcp.connect: remote port 0 is not 1..65535');
  });
});
