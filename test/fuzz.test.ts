// Hostile input: 100,000+ random, truncated and bit-flipped frames through the parser and
// through a running chain. Nothing throws, every failure has a named reason, and the chain's
// accounting closes (a frame that cannot be parsed is sent, then dropped with its reason).

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParsedFrame, PcapWriter, Reason, Rng, buildFrame, parseFrame, reasonName } from '@vnflab/core';
import { vnflab } from './helpers/cli';

const N = 120000;

function* hostileFrames(seed: number): Generator<Buffer> {
  const rng = new Rng(seed);
  const base = [
    buildFrame({ srcIp: 0x0a010001, dstIp: 0x0a000064, proto: 'udp', srcPort: 49152, dstPort: 80, frameLen: 60 }),
    buildFrame({ srcIp: 0x0a010002, dstIp: 0x0a000064, proto: 'tcp', srcPort: 49153, dstPort: 80, frameLen: 120 }),
    buildFrame({ srcIp: 0x0a010003, dstIp: 0x0a000064, proto: 'udp', srcPort: 49154, dstPort: 80, frameLen: 1514 }),
  ];
  for (let i = 0; i < N; i++) {
    const kind = i % 3;
    const b = base[rng.below(base.length)];
    if (kind === 0) {
      const r = Buffer.alloc(rng.below(1600));
      for (let k = 0; k < r.length; k++) r[k] = rng.below(256);
      if (r.length > 14 && rng.below(2)) r.writeUInt16BE(0x0800, 12); // reach the IPv4 parser often
      yield r;
    } else if (kind === 1) {
      yield Buffer.from(b.subarray(0, rng.below(b.length + 1)));
    } else {
      const f = Buffer.from(b);
      const flips = 1 + rng.below(4);
      for (let k = 0; k < flips; k++) f[rng.below(Math.min(f.length, 64))] ^= 1 << rng.below(8);
      yield f;
    }
  }
}

const KNOWN = new Set(Object.keys(Reason));

test(`the parser survives ${N} hostile frames and names every failure`, () => {
  const p = new ParsedFrame();
  const seen = new Map<string, number>();
  for (const f of hostileFrames(11)) {
    const r = reasonName(parseFrame(f, 0, f.length, p));
    seen.set(r, (seen.get(r) ?? 0) + 1);
  }
  for (const r of seen.keys()) expect(KNOWN.has(r)).toBe(true);
  for (const r of ['truncated', 'not_ipv4', 'bad_ip_checksum', 'bad_l4_checksum', 'bad_version'])
    expect(seen.get(r)).toBeGreaterThan(0);
});

test(`a chain replaying ${N} hostile frames closes its accounting`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vnflab-fuzz-'));
  const pcap = join(dir, 'hostile.pcap');
  const w = new PcapWriter(pcap);
  for (const f of hostileFrames(12)) w.write(f, 0, f.length, 1_700_000_000, 0);
  w.close();
  const json = join(dir, 'fuzz.json');
  const r = vnflab(['run', '--pcap-in', pcap, '--quiet', '--json', json]);
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  expect(r.status).toBe(0);
  const s = JSON.parse(readFileSync(json, 'utf8'));
  expect(s.sent).toBe(N);
  expect(s.accounting_closed).toBe(true);
  expect(s.received + s.drops_total).toBe(N);
  const reasons = Object.values(s.drops as Record<string, Record<string, number>>).flatMap((d) => Object.keys(d));
  for (const r of reasons)
    expect(KNOWN.has(r) || ['oversize', 'no_socket', 'not_for_vip', 'no_backend'].includes(r)).toBe(true);
  expect(reasons).not.toContain('element_error'); // no stage failed on any frame
  expect(s.drops_total).toBeGreaterThan(N / 2);
});
