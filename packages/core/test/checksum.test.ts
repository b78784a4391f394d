import {
  csumUpdate16,
  csumUpdate32,
  ipv4HeaderChecksum,
  l4ChecksumValid,
  onesSum,
  buildFrame,
  ipFromString,
  rewriteDestination,
  fillChecksums,
  Rng,
  ETH_HLEN,
} from '@vnflab/core';

describe('Internet checksum', () => {
  test('RFC 1071 worked example: 0001 f203 f4f5 f6f7 sums to ddf2', () => {
    const b = Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(onesSum(b, 0, b.length)).toBe(0xddf2);
  });

  test('IPv4 header checksum of the classic example header is b861', () => {
    // 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7 (Wikipedia's worked example)
    const h = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    expect(ipv4HeaderChecksum(h, 0, 20)).toBe(0xb861);
  });

  test('odd-length data is padded with a zero byte', () => {
    expect(onesSum(Buffer.from([0x12, 0x34, 0x56]), 0, 3)).toBe(0x1234 + 0x5600);
  });

  test('RFC 1624 incremental update: the example of section 4 (0xdd2f -> 0x3285)', () => {
    // RFC 1624 §4: HC = 0xdd2f, m = 0x5555 changes to m' = 0x3285: HC' = 0x0000
    expect(csumUpdate16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });
});

describe('incremental update agrees with full recomputation', () => {
  test('random destination rewrites on random UDP and TCP packets', () => {
    const rng = new Rng(7);
    for (let k = 0; k < 2000; k++) {
      const proto = k % 2 ? 'udp' : 'tcp';
      const len = 60 + rng.below(1454);
      const payload = Buffer.alloc(len);
      for (let i = 0; i < len; i++) payload[i] = rng.below(256);
      const f = buildFrame(
        {
          srcIp: rng.u32(),
          dstIp: rng.u32(),
          proto,
          srcPort: rng.below(65536),
          dstPort: rng.below(65536),
          frameLen: len,
        },
        payload,
      );
      const newIp = rng.u32();
      const newPort = rng.below(65536);
      const ip = ETH_HLEN;
      rewriteDestination(f, ip, ip + 20, newIp, newPort);
      const inc = Buffer.from(f);
      fillChecksums(f, 0); // full recomputation
      expect(inc.readUInt16BE(ip + 10)).toBe(f.readUInt16BE(ip + 10));
      const co = proto === 'udp' ? ip + 26 : ip + 36;
      // 0x0000 and 0xffff are the same value in one's complement; UDP stores 0xffff for 0
      const a = inc.readUInt16BE(co);
      const b = f.readUInt16BE(co);
      expect(a === b || (a | b) === 0xffff).toBe(true);
      expect(l4ChecksumValid(inc, ip, ip + 20, len - 34)).toBe(true);
      expect(inc.readUInt32BE(ip + 16)).toBe(newIp >>> 0);
    }
  });

  test('csumUpdate32 equals two 16-bit updates', () => {
    const a = ipFromString('10.0.0.100');
    const b = ipFromString('10.0.1.3');
    expect(csumUpdate32(0x1234, a, b)).toBe(
      csumUpdate16(csumUpdate16(0x1234, a >>> 16, b >>> 16), a & 0xffff, b & 0xffff),
    );
  });
});
