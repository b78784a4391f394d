// Captures made by Wireshark's own tools — pcapng (editcap -F pcapng), raw IP (editcap -T rawip,
// rawip4), Linux cooked v1/v2 (text2pcap -l 113/276), 802.11 (editcap -T), several interfaces in
// one file (mergecap) — read by our reader and replayed through the embedded chain with the
// accounting closing; and the pcapng that `vnflab run --capture x.pcapng` writes read by tshark.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture, readPcap, type PcapRecord, type PcapngCapture } from '@vnflab/core';
import { vnflab } from './helpers/cli';
import { tsharkFrames } from './helpers/tshark';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-pcapng-'));
const N = 2000;
const BASE = join(dir, 'base.pcap');
let base: PcapRecord[];

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

/** What `vnflab run --pcap-in` made of a capture: the JSON summary. */
function replay(file: string): {
  sent: number;
  received: number;
  drops: Record<string, Record<string, number>>;
  drops_total: number;
  accounting_closed: boolean;
} {
  const json = `${file}.json`;
  const r = vnflab(['run', '--pcap-in', file, '--quiet', '--json', json]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(readFileSync(json, 'utf8'));
}

/** Drops outside the generator: what the chain itself dropped. */
function chainDrops(s: { drops: Record<string, Record<string, number>> }): number {
  let n = 0;
  for (const [stage, d] of Object.entries(s.drops))
    if (stage !== 'traffic-gen') for (const v of Object.values(d)) n += v;
  return n;
}

const expectSameIp = (recs: PcapRecord[], from: PcapRecord[]): void => {
  expect(recs).toHaveLength(from.length);
  recs.forEach((r, i) => {
    expect(r.drop).toBeUndefined();
    expect(r.data.readUInt16BE(12)).toBe(0x0800);
    expect(Buffer.compare(r.data.subarray(14), from[i].data.subarray(14))).toBe(0);
  });
};

// A 28-byte ARP request, the non-IPv4 frame a cooked capture of `-i any` is full of.
const ARP = Buffer.from('0001080006040001020000000001c0a80001000000000000c0a80002', 'hex');

/** text2pcap's hex dump input: each packet from offset 0, 16 bytes a line. */
function hexDump(pkts: Buffer[]): string {
  const lines: string[] = [];
  for (const p of pkts) {
    for (let o = 0; o < p.length; o += 16) {
      lines.push(
        `${o.toString(16).padStart(6, '0')}  ${[...p.subarray(o, o + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function sll(protocol: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0); // addressed to this host
  h.writeUInt16BE(1, 2); // ARPHRD_ETHER
  h.writeUInt16BE(6, 4);
  Buffer.from('02000000000a', 'hex').copy(h, 6);
  h.writeUInt16BE(protocol, 14);
  return Buffer.concat([h, payload]);
}

function sll2(protocol: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(protocol, 0);
  h.writeUInt32BE(2, 4); // interface index
  h.writeUInt16BE(1, 8);
  h[11] = 6;
  Buffer.from('02000000000a', 'hex').copy(h, 12);
  return Buffer.concat([h, payload]);
}

beforeAll(() => {
  const r = vnflab(['gen', '--count', String(N), '--flows', '100', '--out', BASE]);
  expect(r.status).toBe(0);
  base = readPcap(BASE).records;
});

describe('captures written by tshark tools', () => {
  test('editcap -F pcapng: the same frames and times as the libpcap original, replayed with the accounting closing', () => {
    const out = join(dir, 'editcap.pcapng');
    run('editcap', ['-F', 'pcapng', BASE, out]);
    const cap = readCapture(out) as PcapngCapture;
    expect(cap.format).toBe('pcapng');
    expect(cap.records).toHaveLength(N);
    cap.records.forEach((r, i) => {
      expect(Buffer.compare(r.data, base[i].data)).toBe(0);
      expect([r.sec, r.nsec]).toEqual([base[i].sec, base[i].nsec]);
    });
    const s = replay(out);
    expect(s.sent).toBe(N);
    expect(s.accounting_closed).toBe(true);
    expect(s.received).toBeGreaterThan(0);
    expect(s.received + chainDrops(s)).toBe(N);
  });

  test.each([
    ['rawip', 'pcap', 101],
    ['rawip', 'pcapng', 101],
    ['rawip4', 'pcapng', 228],
  ] as const)(
    'editcap -C 14 -T %s -F %s: IPv4 behind a synthetic Ethernet header, replayed with the accounting closing',
    (encap, format, linkType) => {
      const out = join(dir, `${encap}.${format}`);
      run('editcap', ['-F', format, '-C', '14', '-T', encap, BASE, out]);
      const cap = readCapture(out);
      expect(cap.format).toBe(format);
      expect(cap.format === 'pcap' ? cap.linkType : cap.interfaces[0].linkType).toBe(linkType);
      expectSameIp(cap.records, base);
      const s = replay(out);
      expect(s.sent).toBe(N);
      expect(s.drops['traffic-gen']).toBeUndefined();
      expect(s.accounting_closed).toBe(true);
      expect(s.received).toBeGreaterThan(0);
      expect(s.received + chainDrops(s)).toBe(N);
    },
  );

  test.each([
    [113, 'Linux cooked v1', 'pcap', sll],
    [276, 'Linux cooked v2', 'pcapng', sll2],
  ] as const)(
    'text2pcap -l %d (%s) -F %s: tshark and our reader agree; ARP frames are sent and dropped as not_ipv4',
    (linkType, _name, format, wrap) => {
      // every 10th packet an ARP request between the IPv4 ones
      const pkts: Buffer[] = [];
      const ipIdx: number[] = [];
      base.forEach((r, i) => {
        if (i % 10 === 0) pkts.push(wrap(0x0806, ARP));
        ipIdx.push(pkts.length);
        pkts.push(wrap(0x0800, r.data.subarray(14)));
      });
      const arps = pkts.length - N;
      const txt = join(dir, `sll-${linkType}.txt`);
      const out = join(dir, `sll-${linkType}.${format}`);
      writeFileSync(txt, hexDump(pkts));
      run('text2pcap', ['-q', '-F', format, '-l', String(linkType), txt, out]);
      // tshark dissects the cooked header as we do
      const seen = tsharkFrames(out, ['ip.dst', 'arp.opcode', '_ws.malformed']);
      expect(seen).toHaveLength(pkts.length);
      expect(seen.filter((f) => f['ip.dst'] !== '')).toHaveLength(N);
      expect(seen.filter((f) => f['arp.opcode'] === '1')).toHaveLength(arps);
      expect(seen.filter((f) => f['_ws.malformed'] !== '')).toHaveLength(0);
      const cap = readCapture(out);
      expect(cap.format).toBe(format);
      expect(cap.records).toHaveLength(pkts.length);
      expect(cap.drops).toEqual({ not_ipv4: arps });
      expectSameIp(
        ipIdx.map((i) => cap.records[i]),
        base,
      );
      for (const i of ipIdx) expect(cap.records[i].data.subarray(6, 12).toString('hex')).toBe('02000000000a'); // the cooked source address
      const s = replay(out);
      expect(s.sent).toBe(pkts.length);
      expect(s.drops['traffic-gen']).toEqual({ not_ipv4: arps });
      expect(s.accounting_closed).toBe(true);
      expect(s.received).toBeGreaterThan(0);
      expect(s.received + chainDrops(s)).toBe(N);
    },
  );

  test('an unsupported link type (editcap -T ieee-802-11) is sent and dropped as pcap_link_type, never a silent sent 0', () => {
    const out = join(dir, 'wlan.pcap');
    run('editcap', ['-F', 'pcap', '-T', 'ieee-802-11', BASE, out]);
    const s = replay(out);
    expect(s.sent).toBe(N);
    expect(s.received).toBe(0);
    expect(s.drops).toEqual({ 'traffic-gen': { pcap_link_type: N } });
    expect(s.accounting_closed).toBe(true);
  });

  test('mergecap of Ethernet and 802.11 captures: two interfaces in one pcapng, each packet by its own link type', () => {
    const wlan = join(dir, 'wlan-ng.pcapng');
    const eth = join(dir, 'eth-ng.pcapng');
    const out = join(dir, 'merged.pcapng');
    run('editcap', ['-F', 'pcapng', '-T', 'ieee-802-11', BASE, wlan]);
    run('editcap', ['-F', 'pcapng', BASE, eth]);
    run('mergecap', ['-F', 'pcapng', '-w', out, eth, wlan]);
    const cap = readCapture(out) as PcapngCapture;
    expect(cap.interfaces.map((i) => i.linkType).sort()).toEqual([1, 105]);
    expect(cap.records).toHaveLength(2 * N);
    expect(cap.drops).toEqual({ pcap_link_type: N });
    const s = replay(out);
    expect(s.sent).toBe(2 * N);
    expect(s.drops['traffic-gen']).toEqual({ pcap_link_type: N });
    expect(s.accounting_closed).toBe(true);
    expect(s.received + chainDrops(s)).toBe(N);
  });
});

describe('vnflab writes pcapng that tshark reads', () => {
  test('vnflab run --capture x.pcapng: pcapng with nanosecond timestamps, every frame dissected with good checksums', () => {
    const out = join(dir, 'run-capture.pcapng');
    const json = join(dir, 'run-capture.json');
    const r = vnflab(['run', '--count', '3000', '--quiet', '--capture', out, '--json', json]);
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(json, 'utf8'));
    const info = spawnSync('capinfos', ['-M', '-t', '-E', '-c', out], { encoding: 'utf8' });
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(/File type:\s+pcapng\n/);
    expect(info.stdout).toMatch(/File encapsulation:\s+ether\n/);
    expect(info.stdout).toMatch(new RegExp(`Number of packets:\\s+${s.received}\\b`));
    const frames = tsharkFrames(out);
    expect(frames).toHaveLength(s.received);
    for (const f of frames) {
      expect(f['_ws.malformed']).toBe('');
      expect(f['ip.checksum.status']).toBe('1');
      expect(f['udp.checksum.status']).toBe('1');
    }
    const t = spawnSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.time_epoch', '-c', '1'], {
      encoding: 'utf8',
    });
    expect(t.stderr).not.toMatch(/appears to be damaged|corrupt|error/i);
    expect(t.stdout.trim()).toMatch(/^\d{10}\.\d{9}$/); // nanosecond resolution
  });

  test('what --capture x.pcapng wrote holds every packet the backends received, and replays with the accounting closing', () => {
    const out = join(dir, 'replayed.pcapng');
    const first = replay(BASE);
    expect(vnflab(['run', '--pcap-in', BASE, '--quiet', '--capture', out]).status).toBe(0);
    const cap = readCapture(out);
    expect(cap.format).toBe('pcapng');
    expect(cap.records).toHaveLength(first.received);
    const s = replay(out);
    expect(s.sent).toBe(first.received);
    expect(s.accounting_closed).toBe(true);
  });
});

describe('bad captures on the command line', () => {
  const expectOneLine = (file: string, message: RegExp): void => {
    const r = vnflab(['run', '--pcap-in', file]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  };

  test('a truncated pcapng, a corrupt block length and a file that is no capture', () => {
    const src = join(dir, 'for-cutting.pcapng');
    run('editcap', ['-F', 'pcapng', BASE, src]);
    const good = readFileSync(src);
    const cut = join(dir, 'cut.pcapng');
    writeFileSync(cut, good.subarray(0, good.length - 10));
    expectOneLine(cut, /cut\.pcapng: truncated block: \d+ bytes announced, \d+ present at offset \d+/);
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0x7ffffff0, bad.readUInt32LE(4) + 4); // the second block's length
    const badPath = join(dir, 'bad.pcapng');
    writeFileSync(badPath, bad);
    expectOneLine(
      badPath,
      new RegExp(`bad\\.pcapng: corrupt block length 2147483632 at offset ${bad.readUInt32LE(4) + 4}`),
    );
    const txt = join(dir, 'notes.txt');
    writeFileSync(txt, 'not a capture at all\n');
    expectOneLine(txt, /notes\.txt: not a pcap or pcapng file \(magic 0x6e6f7420\) at offset 0/);
  });
});
