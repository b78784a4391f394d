import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapError, PcapWriter, parsePcap, readPcap, Rng } from '@vnflab/core';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-pcap-'));

function frames(n: number): Buffer[] {
  const rng = new Rng(3);
  return Array.from({ length: n }, (_, i) => {
    const b = Buffer.alloc(60 + rng.below(1400));
    for (let k = 0; k < b.length; k++) b[k] = rng.below(256);
    b[0] = i & 0xff;
    return b;
  });
}

describe('pcap round trip', () => {
  for (const resolution of ['us', 'ns'] as const) {
    for (const byteOrder of ['le', 'be'] as const) {
      test(`${resolution} resolution, ${byteOrder === 'le' ? 'little' : 'big'}-endian: identical bytes and times`, () => {
        const path = join(dir, `rt-${resolution}-${byteOrder}.pcap`);
        const fs = frames(200);
        const w = new PcapWriter(path, { resolution, byteOrder });
        const sec = 1_700_000_000;
        fs.forEach((f, i) => w.write(f, 0, f.length, sec + Math.floor(i / 100), 123_456_000 + (i % 100) * 1000));
        w.close();
        const cap = readPcap(path);
        expect(cap.resolution).toBe(resolution);
        expect(cap.byteOrder).toBe(byteOrder);
        expect(cap.records).toHaveLength(200);
        cap.records.forEach((r, i) => {
          expect(Buffer.compare(r.data, fs[i])).toBe(0);
          expect(r.sec).toBe(sec + Math.floor(i / 100));
          expect(r.nsec).toBe(123_456_000 + (i % 100) * 1000);
        });
        // and writing what we read gives the same file
        const path2 = join(dir, `rt2-${resolution}-${byteOrder}.pcap`);
        const w2 = new PcapWriter(path2, { resolution, byteOrder });
        for (const r of cap.records) w2.write(r.data, 0, r.data.length, r.sec, r.nsec);
        w2.close();
        expect(Buffer.compare(readFileSync(path), readFileSync(path2))).toBe(0);
      });
    }
  }
});

describe('bad captures', () => {
  const path = join(dir, 'ok.pcap');
  const w = new PcapWriter(path);
  for (const f of frames(3)) w.write(f, 0, f.length, 1e9, 0);
  w.close();
  const file = readFileSync(path);

  test('a capture cut inside a record names the record offset', () => {
    const cut = file.subarray(0, file.length - 5);
    expect(() => parsePcap(cut, 'cut.pcap')).toThrow(PcapError);
    expect(() => parsePcap(cut, 'cut.pcap')).toThrow(/cut\.pcap: truncated record: .* at offset \d+/);
  });

  test('a capture cut inside a record header names the offset', () => {
    const cut = file.subarray(0, 24 + 7);
    expect(() => parsePcap(cut, 'h.pcap')).toThrow('h.pcap: truncated record header (7 of 16 bytes) at offset 24');
  });

  test('a short global header, a bad magic and a corrupt length are errors', () => {
    expect(() => parsePcap(Buffer.alloc(10), 'x')).toThrow(/truncated global header .* at offset 10/);
    expect(() => parsePcap(Buffer.alloc(40), 'x')).toThrow(/not a pcap file .* at offset 0/);
    const bad = Buffer.from(file);
    bad.writeUInt32LE(0x7fffffff, 24 + 8);
    expect(() => parsePcap(bad, 'x')).toThrow(/corrupt record length 2147483647 at offset 32/);
  });

  test('records of a link type that cannot be made Ethernet are kept, marked as drops and counted', () => {
    const other = Buffer.from(file);
    other.writeUInt32LE(105, 20); // LINKTYPE_IEEE802_11
    const cap = parsePcap(other, 'wlan.pcap');
    expect(cap.records).toHaveLength(3);
    expect(cap.records.map((r) => r.drop)).toEqual(['pcap_link_type', 'pcap_link_type', 'pcap_link_type']);
    expect(cap.drops).toEqual({ pcap_link_type: 3 });
  });

  test('an unreadable file is a PcapError, not a crash', () => {
    expect(() => readPcap(join(dir, 'missing.pcap'))).toThrow(/cannot read: ENOENT at offset 0/);
    writeFileSync(join(dir, 'empty.pcap'), '');
    expect(() => readPcap(join(dir, 'empty.pcap'))).toThrow(PcapError);
  });
});
