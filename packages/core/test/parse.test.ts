import {
  ParsedFrame,
  Reason,
  buildFrame,
  fillChecksums,
  ipFromString,
  parseFrame,
  reasonName,
  ETH_HLEN,
} from '@vnflab/core';

const good = (proto: 'udp' | 'tcp' = 'udp', len = 60): Buffer =>
  buildFrame({
    srcIp: ipFromString('10.1.0.1'),
    dstIp: ipFromString('10.0.0.100'),
    proto,
    srcPort: 49152,
    dstPort: 80,
    frameLen: len,
  });

function reason(buf: Buffer, len = buf.length): string {
  return reasonName(parseFrame(buf, 0, len, new ParsedFrame()));
}

describe('parseFrame', () => {
  test('a built UDP frame parses with every field in place', () => {
    const p = new ParsedFrame();
    expect(parseFrame(good(), 0, 60, p)).toBe(0);
    expect(p).toMatchObject({
      l3Off: 14,
      ihl: 20,
      ipTotalLen: 46,
      proto: 17,
      srcIp: ipFromString('10.1.0.1'),
      dstIp: ipFromString('10.0.0.100'),
      srcPort: 49152,
      dstPort: 80,
      payloadOff: 42,
      payloadLen: 18,
    });
  });

  test('a built TCP frame parses', () => {
    const p = new ParsedFrame();
    expect(parseFrame(good('tcp', 80), 0, 80, p)).toBe(0);
    expect(p.proto).toBe(6);
    expect(p.payloadLen).toBe(80 - 54);
  });

  test('every malformation has its named reason', () => {
    expect(reason(good(), 10)).toBe('truncated');
    expect(reason(good(), 30)).toBe('truncated');
    const arp = good();
    arp.writeUInt16BE(0x0806, 12);
    expect(reason(arp)).toBe('not_ipv4');
    const v6 = good();
    v6[ETH_HLEN] = 0x65;
    expect(reason(v6)).toBe('bad_version');
    const ihl = good();
    ihl[ETH_HLEN] = 0x44;
    expect(reason(ihl)).toBe('bad_ihl');
    const tl = good();
    tl.writeUInt16BE(10, ETH_HLEN + 2);
    expect(reason(tl)).toBe('bad_total_length');
    const long = good();
    long.writeUInt16BE(1000, ETH_HLEN + 2);
    expect(reason(long)).toBe('truncated');
    const frag = good();
    frag.writeUInt16BE(0x2000, ETH_HLEN + 6); // MF
    fillChecksums(frag, 0);
    expect(reason(frag)).toBe('fragment');
    const ttl = good();
    ttl[ETH_HLEN + 8] = 0;
    fillChecksums(ttl, 0);
    expect(reason(ttl)).toBe('ttl_expired');
    const ipc = good();
    ipc[ETH_HLEN + 10] ^= 0xff;
    expect(reason(ipc)).toBe('bad_ip_checksum');
    const l4 = good();
    l4[50] ^= 0x01; // a payload bit
    expect(reason(l4)).toBe('bad_l4_checksum');
    const ulen = good();
    ulen.writeUInt16BE(4, 14 + 20 + 4);
    expect(reason(ulen)).toBe('bad_l4_length');
    const icmp = good();
    icmp[ETH_HLEN + 9] = 1;
    fillChecksums(icmp, 0);
    expect(reason(icmp)).toBe('unsupported_l4');
  });

  test('a zero UDP checksum means none and is accepted', () => {
    const f = good();
    f.writeUInt16BE(0, 40);
    expect(reason(f)).toBe('none');
  });

  test('Ethernet padding beyond the IP total length is ignored', () => {
    const f = Buffer.concat([good(), Buffer.alloc(8, 0xee)]);
    expect(parseFrame(f, 0, f.length, new ParsedFrame())).toBe(Reason.none);
  });
});
