import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_SRC_MAC,
  MAX_BLOCK_LEN,
  PcapError,
  PcapWriter,
  Rng,
  buildFrame,
  ipFromString,
  openCaptureWriter,
  parseCapture,
  parsePcap,
  parsePcapng,
  readCapture,
  type PcapngCapture,
} from '@vnflab/core';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-pcapng-'));

function frames(n: number): Buffer[] {
  const rng = new Rng(5);
  return Array.from({ length: n }, (_, i) => {
    const b = Buffer.alloc(60 + rng.below(1400));
    for (let k = 0; k < b.length; k++) b[k] = rng.below(256);
    b[0] = i & 0xff;
    return b;
  });
}

// --- a pcapng builder, written from the specification, independent of PcapWriter ---

const pad4 = (n: number): number => (n + 3) & ~3;

function block(type: number, body: Buffer, le = true): Buffer {
  const len = 12 + pad4(body.length);
  const b = Buffer.alloc(len);
  const w = (v: number, o: number): number => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  w(type, 0);
  w(len, 4);
  body.copy(b, 8);
  w(len, len - 4);
  return b;
}

function options(le: boolean, ...opts: [number, Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [code, v] of opts) {
    const h = Buffer.alloc(4);
    if (le) {
      h.writeUInt16LE(code, 0);
      h.writeUInt16LE(v.length, 2);
    } else {
      h.writeUInt16BE(code, 0);
      h.writeUInt16BE(v.length, 2);
    }
    parts.push(h, v, Buffer.alloc(pad4(v.length) - v.length));
  }
  parts.push(Buffer.alloc(4)); // opt_endofopt
  return Buffer.concat(parts);
}

function shb(le = true): Buffer {
  const b = Buffer.alloc(16);
  if (le) {
    b.writeUInt32LE(0x1a2b3c4d, 0);
    b.writeUInt16LE(1, 4);
  } else {
    b.writeUInt32BE(0x1a2b3c4d, 0);
    b.writeUInt16BE(1, 4);
  }
  b.fill(0xff, 8, 16);
  return block(0x0a0d0d0a, b, le);
}

function idb(linkType: number, le = true, tsresol?: number, tsoffset?: bigint): Buffer {
  const h = Buffer.alloc(8);
  if (le) {
    h.writeUInt16LE(linkType, 0);
    h.writeUInt32LE(65535, 4);
  } else {
    h.writeUInt16BE(linkType, 0);
    h.writeUInt32BE(65535, 4);
  }
  const opts: [number, Buffer][] = [[2, Buffer.from('eth0')]]; // if_name, ignored
  if (tsresol !== undefined) opts.push([9, Buffer.from([tsresol])]);
  if (tsoffset !== undefined) {
    const v = Buffer.alloc(8);
    if (le) v.writeBigInt64LE(tsoffset);
    else v.writeBigInt64BE(tsoffset);
    opts.push([14, v]);
  }
  return block(1, Buffer.concat([h, options(le, ...opts)]), le);
}

function epb(iface: number, ts: bigint, data: Buffer, le = true): Buffer {
  const h = Buffer.alloc(20);
  const w = (v: number, o: number): number => (le ? h.writeUInt32LE(v, o) : h.writeUInt32BE(v, o));
  w(iface, 0);
  w(Number(ts >> 32n), 4);
  w(Number(ts & 0xffffffffn), 8);
  w(data.length, 12);
  w(data.length, 16);
  return block(
    6,
    Buffer.concat([h, data, Buffer.alloc(pad4(data.length) - data.length), options(le, [1, Buffer.from('a comment')])]),
    le,
  );
}

function spb(data: Buffer, le = true): Buffer {
  const h = Buffer.alloc(4);
  if (le) h.writeUInt32LE(data.length, 0);
  else h.writeUInt32BE(data.length, 0);
  return block(3, Buffer.concat([h, data]), le);
}

// an IPv4/UDP packet and the Ethernet frame around it
const ETH = buildFrame({
  srcIp: ipFromString('10.1.0.1'),
  dstIp: ipFromString('10.0.0.100'),
  proto: 'udp',
  srcPort: 50000,
  dstPort: 80,
  frameLen: 100,
});
const IP = ETH.subarray(14);

function sll(protocol: number, payload: Buffer, mac = Buffer.from([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0); // to us
  h.writeUInt16BE(1, 2); // ARPHRD_ETHER
  h.writeUInt16BE(6, 4);
  mac.copy(h, 6);
  h.writeUInt16BE(protocol, 14);
  return Buffer.concat([h, payload]);
}

function sll2(protocol: number, payload: Buffer, mac = Buffer.from([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(protocol, 0);
  h.writeUInt32BE(3, 4); // interface index
  h.writeUInt16BE(1, 8); // ARPHRD_ETHER
  h[10] = 0;
  h[11] = 6;
  mac.copy(h, 12);
  return Buffer.concat([h, payload]);
}

describe('pcapng round trip through PcapWriter', () => {
  for (const resolution of ['us', 'ns'] as const) {
    for (const byteOrder of ['le', 'be'] as const) {
      test(`${resolution}, ${byteOrder === 'le' ? 'little' : 'big'}-endian: identical bytes and times`, () => {
        const path = join(dir, `rt-${resolution}-${byteOrder}.pcapng`);
        const fs = frames(300);
        const w = new PcapWriter(path, { format: 'pcapng', resolution, byteOrder });
        // seconds past 2^31 and a nanosecond part that a microsecond file rounds down
        const sec = 4_000_000_000;
        fs.forEach((f, i) => w.write(f, 0, f.length, sec + i, 999_999_000 + (resolution === 'ns' ? i % 1000 : 0)));
        w.close();
        const cap = readCapture(path) as PcapngCapture;
        expect(cap.format).toBe('pcapng');
        expect(cap.sections).toBe(1);
        expect(cap.interfaces).toEqual([{ section: 0, linkType: 1, snaplen: 262144, resolution }]);
        expect(cap.skippedBlocks).toEqual({});
        expect(cap.drops).toEqual({});
        expect(cap.records).toHaveLength(300);
        cap.records.forEach((r, i) => {
          expect(Buffer.compare(r.data, fs[i])).toBe(0);
          expect(r.origLen).toBe(fs[i].length);
          expect(r.sec).toBe(sec + i);
          expect(r.nsec).toBe(999_999_000 + (resolution === 'ns' ? i % 1000 : 0));
        });
        const path2 = join(dir, `rt2-${resolution}-${byteOrder}.pcapng`);
        const w2 = new PcapWriter(path2, { format: 'pcapng', resolution, byteOrder });
        for (const r of cap.records) w2.write(r.data, 0, r.data.length, r.sec, r.nsec);
        w2.close();
        expect(Buffer.compare(readFileSync(path), readFileSync(path2))).toBe(0);
      });
    }
  }

  test('openCaptureWriter picks pcapng for .pcapng and libpcap otherwise; readCapture goes by the magic, not the name', () => {
    const f = frames(3);
    for (const [name, format] of [
      ['a.pcapng', 'pcapng'],
      ['b.PCAPNG', 'pcapng'],
      ['c.pcap', 'pcap'],
      ['d.cap', 'pcap'],
    ] as const) {
      const w = openCaptureWriter(join(dir, name));
      expect(w.format).toBe(format);
      for (const x of f) w.write(x, 0, x.length, 1_700_000_000, 5);
      w.close();
      const cap = readCapture(join(dir, name));
      expect(cap.format).toBe(format);
      expect(cap.records.map((r) => r.data.length)).toEqual(f.map((x) => x.length));
    }
    // a pcapng file named .pcap is still read as pcapng
    writeFileSync(join(dir, 'misnamed.pcap'), readFileSync(join(dir, 'a.pcapng')));
    expect(readCapture(join(dir, 'misnamed.pcap')).format).toBe('pcapng');
  });
});

describe('pcapng blocks', () => {
  test('two sections of opposite byte order, several interfaces and resolutions, EPB and SPB; other blocks skipped by type', () => {
    const isb = block(5, Buffer.alloc(12));
    const nrb = block(4, Buffer.alloc(4));
    const custom = block(0x40000bad, Buffer.alloc(8), false); // in the big-endian section
    const file = Buffer.concat([
      shb(true),
      idb(1, true), // default: microseconds
      idb(1, true, 0x80 | 10), // 2^-10 s
      idb(1, true, 3, 1000n), // milliseconds, offset 1000 s
      epb(0, 1_700_000_000_123_456n, ETH),
      nrb,
      epb(1, (5n << 10n) + 512n, ETH), // 5.5 s
      epb(2, 2_500n, ETH), // 2.5 s + 1000 s
      isb,
      spb(ETH), // no timestamp: keeps the previous one
      shb(false),
      custom,
      idb(1, false, 9), // nanoseconds, big-endian section
      epb(0, 1_700_000_000_000_000_007n, ETH, false),
      spb(ETH, false),
    ]);
    const cap = parsePcapng(file, 'multi.pcapng');
    expect(cap.sections).toBe(2);
    expect(cap.interfaces.map((i) => [i.section, i.resolution])).toEqual([
      [0, 'us'],
      [0, '2^-10'],
      [0, '1e-3'],
      [1, 'ns'],
    ]);
    expect(cap.skippedBlocks).toEqual({ '0x00000004': 1, '0x00000005': 1, '0x40000bad': 1 });
    expect(cap.records.map((r) => [r.sec, r.nsec])).toEqual([
      [1_700_000_000, 123_456_000],
      [5, 500_000_000],
      [1002, 500_000_000],
      [1002, 500_000_000],
      [1_700_000_000, 7],
      [1_700_000_000, 7],
    ]);
    for (const r of cap.records) expect(Buffer.compare(r.data, ETH)).toBe(0);
    expect(parseCapture(file).records).toHaveLength(6);
  });

  test('a packet of an interface the section does not describe is an error naming its offset', () => {
    const head = Buffer.concat([shb(), idb(1)]);
    expect(() => parsePcapng(Buffer.concat([head, epb(1, 0n, ETH)]), 'x')).toThrow(
      `x: packet of interface 1, but this section describes 1 at offset ${head.length + 8}`,
    );
    // interfaces restart with every section
    expect(() => parsePcapng(Buffer.concat([head, shb(), epb(0, 0n, ETH)]), 'x')).toThrow(
      /packet of interface 0, but this section describes 0/,
    );
    expect(() => parsePcapng(Buffer.concat([shb(), spb(ETH)]), 'x')).toThrow(
      'x: simple packet block before any interface description at offset 28',
    );
  });
});

describe('link types normalised to Ethernet', () => {
  const ARP = Buffer.alloc(28, 1);
  const IPV6 = Buffer.concat([Buffer.from([0x60]), Buffer.alloc(47)]);

  function capture(linkType: number, ...pkts: Buffer[]): PcapngCapture {
    return parsePcapng(Buffer.concat([shb(), idb(linkType), ...pkts.map((p) => epb(0, 0n, p))]));
  }

  const expectEthernetAround = (data: Buffer, src: Uint8Array): void => {
    expect(data.readUInt16BE(12)).toBe(0x0800);
    expect(Buffer.compare(data.subarray(6, 12), Buffer.from(src))).toBe(0);
    expect(Buffer.compare(data.subarray(14), IP)).toBe(0);
  };

  test('raw IP (101): IPv4 gets an Ethernet header, IPv6 is a not_ipv4 drop', () => {
    const cap = capture(101, IP, IPV6, IP);
    expect(cap.records).toHaveLength(3);
    expectEthernetAround(cap.records[0].data, DEFAULT_SRC_MAC);
    expect(cap.records[0].drop).toBeUndefined();
    expect(cap.records[1].drop).toBe('not_ipv4');
    expect(cap.records[1].data.length).toBe(IPV6.length);
    expect(cap.drops).toEqual({ not_ipv4: 1 });
  });

  test('raw IPv4 (228), also from a libpcap file', () => {
    expectEthernetAround(capture(228, IP).records[0].data, DEFAULT_SRC_MAC);
    const path = join(dir, 'raw4.pcap');
    const w = new PcapWriter(path, { linkType: 228 });
    w.write(IP, 0, IP.length, 1, 0);
    w.close();
    const cap = parsePcap(readFileSync(path));
    expect(cap.linkType).toBe(228);
    expectEthernetAround(cap.records[0].data, DEFAULT_SRC_MAC);
  });

  test('Linux cooked v1 (113) and v2 (276): IPv4 kept with its source MAC, ARP a not_ipv4 drop, a short header a truncated drop', () => {
    const mac = Buffer.from([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
    for (const [lt, wrap] of [
      [113, sll],
      [276, sll2],
    ] as const) {
      const cap = capture(lt, wrap(0x0800, IP), wrap(0x0806, ARP), Buffer.alloc(10), wrap(0x0800, IP));
      expect(cap.records.map((r) => r.drop)).toEqual([undefined, 'not_ipv4', 'truncated', undefined]);
      expectEthernetAround(cap.records[0].data, mac);
      expectEthernetAround(cap.records[3].data, mac);
      expect(cap.drops).toEqual({ not_ipv4: 1, truncated: 1 });
    }
  });

  test('any other link type keeps its bytes and is a pcap_link_type drop, counted', () => {
    const cap = capture(105, ETH, ETH, ETH); // IEEE 802.11
    expect(cap.records).toHaveLength(3);
    for (const r of cap.records) {
      expect(r.drop).toBe('pcap_link_type');
      expect(Buffer.compare(r.data, ETH)).toBe(0);
    }
    expect(cap.drops).toEqual({ pcap_link_type: 3 });
  });
});

describe('bad pcapng files are one-line errors naming the offset', () => {
  const good = Buffer.concat([shb(), idb(1), epb(0, 0n, ETH), epb(0, 1n, ETH)]);
  const firstEpb = shb().length + idb(1).length;

  test('cut inside a block, inside a block header, or inside the section header', () => {
    expect(() => parsePcapng(good.subarray(0, good.length - 3), 'cut.pcapng')).toThrow(
      /^cut\.pcapng: truncated block: \d+ bytes announced, \d+ present at offset \d+$/,
    );
    expect(() => parsePcapng(good.subarray(0, firstEpb + 5), 'h')).toThrow(
      `h: truncated block header (5 of 12 bytes) at offset ${firstEpb}`,
    );
    expect(() => parsePcapng(good.subarray(0, 20), 'h')).toThrow(
      'h: truncated section header block (20 of 28 bytes) at offset 0',
    );
  });

  test('lengths that are not a multiple of 4, too small, beyond the maximum or disagreeing with the trailer', () => {
    const set = (o: number, v: number): Buffer => {
      const b = Buffer.from(good);
      b.writeUInt32LE(v, o);
      return b;
    };
    expect(() => parsePcapng(set(firstEpb + 4, 61), 'x')).toThrow(
      `x: corrupt block length 61 at offset ${firstEpb + 4}`,
    );
    expect(() => parsePcapng(set(firstEpb + 4, 8), 'x')).toThrow(`x: corrupt block length 8 at offset ${firstEpb + 4}`);
    expect(() => parsePcapng(set(firstEpb + 4, MAX_BLOCK_LEN + 4), 'x')).toThrow(
      `x: corrupt block length ${MAX_BLOCK_LEN + 4} at offset ${firstEpb + 4}`,
    );
    expect(() => parsePcapng(set(firstEpb + 4, 0xfffffffc), 'x')).toThrow(/corrupt block length 4294967292/);
    const epbLen = good.readUInt32LE(firstEpb + 4);
    expect(() => parsePcapng(set(firstEpb + epbLen - 4, 44), 'x')).toThrow(
      `x: corrupt block: trailing length 44 differs from ${epbLen} at offset ${firstEpb + epbLen - 4}`,
    );
    expect(() => parsePcapng(set(firstEpb + 20, 0x7fffffff), 'x')).toThrow(
      `x: corrupt captured length 2147483647 (${epbLen - 32} bytes in the block) at offset ${firstEpb + 20}`,
    );
    expect(() => parsePcapng(set(8, 0x12345678), 'x')).toThrow('x: corrupt byte-order magic 0x12345678 at offset 8');
  });

  test('an option that overruns its block', () => {
    const b = Buffer.from(good);
    b.writeUInt16LE(200, 28 + 16 + 2); // the IDB's first option length
    expect(() => parsePcapng(b, 'x')).toThrow(`x: corrupt option 2: 200 bytes overrun the block at offset ${28 + 18}`);
  });

  test('neither pcap nor pcapng, and empty files', () => {
    expect(() => parseCapture(Buffer.from('GET / HTTP/1.1\r\n'), 'x')).toThrow(
      'x: not a pcap or pcapng file (magic 0x47455420) at offset 0',
    );
    expect(() => parseCapture(Buffer.alloc(0), 'x')).toThrow(
      'x: truncated: 0 bytes, not a pcap or pcapng file at offset 0',
    );
    expect(() => parsePcapng(Buffer.alloc(0), 'x')).toThrow('x: truncated: no section header block at offset 0');
  });

  test('every truncation and 20,000 random corruptions are a PcapError or a clean read, never another exception', () => {
    for (let n = 0; n < good.length; n++) {
      try {
        parseCapture(good.subarray(0, n));
      } catch (e) {
        expect(e).toBeInstanceOf(PcapError);
      }
    }
    const rng = new Rng(9);
    let errors = 0;
    for (let k = 0; k < 20000; k++) {
      const b = Buffer.from(good);
      for (let f = 1 + rng.below(3); f > 0; f--) b[rng.below(b.length)] ^= 1 << rng.below(8);
      try {
        const cap = parseCapture(b);
        expect(cap.records.length).toBeLessThanOrEqual(2);
      } catch (e) {
        if (!(e instanceof PcapError)) throw e;
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(1000);
  });
});
