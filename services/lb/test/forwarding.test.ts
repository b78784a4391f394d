import {
  Batch,
  PROTO_IPIP,
  ParsedFrame,
  buildFrame,
  ipFromString,
  ipToString,
  parseEthernet,
  parseFrame,
  parseIpv4,
  parseL4,
  reasonName,
} from '@vnflab/core';
import { Backends } from '@vnflab/backends';
import { IPIP_HLEN, LoadBalancer, lbBackendNames } from '@vnflab/lb';
import { batchOf, flow, makeCtx, type FlowSpec } from './helpers';

const SIZES = [60, 64, 128, 570, 1514];
const BACKENDS = new Set(['10.0.1.1', '10.0.1.2', '10.0.1.3']);

function mixed(n: number): FlowSpec[] {
  return Array.from({ length: n }, (_, i) => ({ ...flow(i, i % 2 ? 'tcp' : 'udp'), len: SIZES[i % SIZES.length] }));
}

describe('NAT forwarding', () => {
  test('destination becomes the chosen backend and every IPv4/UDP/TCP checksum verifies', () => {
    const lb = new LoadBalancer('maglev', {}); // defaults: VIP 10.0.0.100:80, web-1..3 at 10.0.1.1..3:8080
    const b = batchOf(mixed(200));
    const ctx = makeCtx();
    lb.process(b, ctx);
    const p = new ParsedFrame();
    const perBackend = new Map<string, number>();
    for (let i = 0; i < b.count; i++) {
      expect(b.alive(i)).toBe(true);
      expect(parseFrame(b.buf, b.offset(i), b.length(i), p)).toBe(0); // verifies both checksums
      const dst = ipToString(p.dstIp);
      expect(BACKENDS.has(dst)).toBe(true);
      expect(p.dstPort).toBe(8080);
      perBackend.set(dst, (perBackend.get(dst) ?? 0) + 1);
    }
    // the element's per-backend counters agree with what left it
    for (const v of lb.listBackends()[0].backends) expect(v.packets).toBe(perBackend.get(v.address) ?? 0);
  });

  test('the destination is the one connection tracking recorded for the flow', () => {
    const lb = new LoadBalancer('maglev', {});
    const flows = mixed(50);
    const b = batchOf(flows);
    lb.process(b, makeCtx());
    const p = new ParsedFrame();
    const names = lbBackendNames();
    flows.forEach((f, i) => {
      parseFrame(b.buf, b.offset(i), b.length(i), p);
      expect(lb.trackedBackend(ipToString(f.src), f.sport, '10.0.0.100', 80, f.proto === 'tcp' ? 6 : 17)).toBe(
        names[ipToString(p.dstIp)],
      );
    });
  });
});

describe('IP-in-IP forwarding (Katran style)', () => {
  test('an outer header to the backend with a valid checksum; the inner packet is untouched', () => {
    const lb = new LoadBalancer('maglev', { mode: 'ipip' });
    const flows = mixed(200);
    const before = batchOf(flows);
    const b = batchOf(flows);
    lb.process(b, makeCtx());
    const outer = new ParsedFrame();
    const inner = new ParsedFrame();
    for (let i = 0; i < b.count; i++) {
      expect(b.alive(i)).toBe(true);
      expect(b.offset(i)).toBe(before.offset(i) - IPIP_HLEN);
      expect(b.length(i)).toBe(before.length(i) + IPIP_HLEN);
      const off = b.offset(i);
      const end = off + b.length(i);
      const l3 = parseEthernet(b.buf, off, b.length(i));
      expect(l3).toBe(off + 14);
      expect(parseIpv4(b.buf, l3, end, outer, true)).toBe(0); // outer checksum verified
      expect(outer.proto).toBe(PROTO_IPIP);
      expect(BACKENDS.has(ipToString(outer.dstIp))).toBe(true);
      expect(ipToString(outer.srcIp)).toMatch(/^172\.16\./);
      expect(parseIpv4(b.buf, outer.l4Off, end, inner, true)).toBe(0);
      expect(parseL4(b.buf, inner, true)).toBe(0);
      expect(ipToString(inner.dstIp)).toBe('10.0.0.100'); // direct server return: the VIP stays
      expect(outer.ipTotalLen).toBe(inner.ipTotalLen + IPIP_HLEN);
      // Ethernet header and inner packet are byte for byte what came in
      const o0 = before.offset(i);
      expect(b.buf.subarray(off, off + 14).equals(before.buf.subarray(o0, o0 + 14))).toBe(true);
      expect(b.buf.subarray(off + 34, end).equals(before.buf.subarray(o0 + 14, o0 + before.length(i)))).toBe(true);
    }
  });

  test('the backends stage decapsulates it and counts per backend name from lbBackendNames()', () => {
    const lb = new LoadBalancer('maglev', { mode: 'ipip' });
    const sink = new Backends({ names: lbBackendNames() });
    const b = batchOf(mixed(300));
    lb.process(b, makeCtx());
    sink.process(b, makeCtx());
    expect(b.dropped()).toBe(0);
    expect(sink.received).toBe(300);
    const counted = sink.metrics()[0].samples.map((s) => [s.labels.backend, s.value]);
    const sent = lb.listBackends()[0].backends.map((v) => [v.name, v.packets]);
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(sent));
  });

  test('a frame without headroom in front is dropped (no_headroom), never written over its neighbour', () => {
    const lb = new LoadBalancer('maglev', { mode: 'ipip' });
    const frame = buildFrame({
      srcIp: ipFromString('10.1.0.1'),
      dstIp: ipFromString('10.0.0.100'),
      proto: 'udp',
      srcPort: 1000,
      dstPort: 80,
      frameLen: 64,
    });
    const b = Batch.allocate(2);
    frame.copy(b.buf, b.offset(b.append(64)));
    const j = b.append(64);
    frame.copy(b.buf, b.offset(j));
    // pretend an earlier element moved packet 1 right up against packet 0
    const tight = b.offset(0) + 64 + 10;
    b.buf.copyWithin(tight, b.offset(j), b.offset(j) + 64);
    b.setOffset(j, tight);
    const copy0 = Buffer.from(b.buf.subarray(b.offset(0), b.offset(0) + 64));
    const ctx = makeCtx();
    lb.process(b, ctx);
    expect(b.alive(0)).toBe(true);
    expect(reasonName(b.reason(1))).toBe('no_headroom');
    // packet 0 (encapsulated) still carries its whole inner packet: packet 1 wrote nothing over it
    const o = b.offset(0);
    expect(b.buf.subarray(o + 14 + IPIP_HLEN, o + b.length(0)).equals(copy0.subarray(14))).toBe(true);
  });
});

describe('drops with a reason', () => {
  test('packets not for a VIP (address, port or protocol) are dropped as not_for_vip', () => {
    const lb = new LoadBalancer('maglev', {
      vips: [
        {
          name: 'dns',
          address: '10.0.0.53',
          port: 53,
          protocols: ['udp'],
          backends: [{ name: 'ns-1', address: '10.0.2.1' }],
        },
      ],
    });
    const b = batchOf([
      { ...flow(1), dst: '10.0.0.53', dport: 53 },
      { ...flow(2), dst: '10.0.0.54', dport: 53 },
      { ...flow(3), dst: '10.0.0.53', dport: 54 },
      { ...flow(4, 'tcp'), dst: '10.0.0.53', dport: 53 },
    ]);
    lb.process(b, makeCtx());
    expect([0, 1, 2, 3].map((i) => reasonName(b.reason(i)))).toEqual([
      'none',
      'not_for_vip',
      'not_for_vip',
      'not_for_vip',
    ]);
    const p = new ParsedFrame();
    parseFrame(b.buf, b.offset(0), b.length(0), p);
    expect(ipToString(p.dstIp)).toBe('10.0.2.1');
    expect(p.dstPort).toBe(53); // port defaults to the VIP's
  });

  test("non-IPv4 and truncated frames keep the parser's reason; a VIP with nothing eligible drops as no_backend", () => {
    const lb = new LoadBalancer('maglev', {});
    const b = batchOf([flow(1), flow(2), flow(3)]);
    b.buf[b.offset(0) + 12] = 0x86; // IPv6 ethertype
    b.buf[b.offset(0) + 13] = 0xdd;
    b.setLength(1, 20);
    lb.process(b, makeCtx());
    expect(reasonName(b.reason(0))).toBe('not_ipv4');
    expect(reasonName(b.reason(1))).toBe('truncated');
    expect(b.alive(2)).toBe(true);
    for (const n of ['web-1', 'web-2', 'web-3']) lb.drainBackend('web', n);
    const c = batchOf([flow(1000)]);
    lb.process(c, makeCtx());
    expect(reasonName(c.reason(0))).toBe('no_backend');
  });
});
