// tshark reads what `vnflab gen` and `vnflab run --capture` write: every frame dissected, none
// malformed, IPv4 and UDP/TCP checksums good.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vnflab } from './helpers/cli';
import { tsharkFrames } from './helpers/tshark';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-tshark-'));

function expectAllGood(file: string, count: number, proto: 'udp' | 'tcp'): Record<string, string>[] {
  const frames = tsharkFrames(file);
  expect(frames).toHaveLength(count);
  for (const f of frames) {
    expect(f['_ws.malformed']).toBe('');
    expect(f['ip.checksum.status']).toBe('1');
    expect(f[`${proto}.checksum.status`]).toBe('1');
    expect(f['_ws.expert.severity'] ?? '').not.toMatch(/error/i);
  }
  return frames;
}

describe('tshark dissects what vnflab writes', () => {
  test.each([
    ['udp', '64'],
    ['udp', 'imix'],
    ['tcp', '1518'],
    ['tcp', 'imix'],
  ] as const)('vnflab gen --proto %s --size %s', (proto, size) => {
    const out = join(dir, `gen-${proto}-${size}.pcap`);
    const r = vnflab(['gen', '--count', '3000', '--proto', proto, '--size', size, '--flows', '5000', '--out', out]);
    expect(r.stderr).toContain('wrote 3000 frames');
    expect(r.status).toBe(0);
    const frames = expectAllGood(out, 3000, proto);
    if (size === 'imix') expect(new Set(frames.map((f) => f['frame.len'])).size).toBe(3);
    else expect(frames[0]['frame.len']).toBe(String(Number(size) - 4));
  });

  test('nanosecond, big-endian captures are read too', () => {
    const out = join(dir, 'gen-ns-be.pcap');
    expect(vnflab(['gen', '--count', '100', '--ns', '--big-endian', '--out', out]).status).toBe(0);
    expectAllGood(out, 100, 'udp');
  });

  const BACKENDS = ['10.0.1.1', '10.0.1.2', '10.0.1.3'];

  test('vnflab run --capture after the lb in NAT mode: checksums good, destination is the chosen backend', () => {
    const out = join(dir, 'run-capture.pcap');
    const json = join(dir, 'run.json');
    const r = vnflab(['run', '--count', '20000', '--quiet', '--capture', out, '--json', json]);
    expect(r.status).toBe(0);
    const frames = expectAllGood(out, 20000, 'udp');
    const s = JSON.parse(readFileSync(json, 'utf8'));
    const perBackend = s.stages.find((x: { stage: string }) => x.stage === 'backends').details.per_backend as Record<
      string,
      number
    >;
    // every destination tshark sees is a backend, and the counts match what the backends reported
    const seen: Record<string, number> = {};
    for (const f of frames) seen[f['ip.dst']] = (seen[f['ip.dst']] ?? 0) + 1;
    expect(Object.keys(seen).sort()).toEqual(BACKENDS);
    expect(seen).toEqual(perBackend);
  });

  test('after IP-in-IP (direct server return) both headers check out and the outer destination is a backend', () => {
    const out = join(dir, 'run-ipip.pcap');
    const r = vnflab([
      'run',
      '--config',
      join(__dirname, 'fixtures', 'lb-ipip.yaml'),
      '--count',
      '3000',
      '--quiet',
      '--capture',
      out,
    ]);
    expect(r.status).toBe(0);
    const frames = tsharkFrames(out);
    expect(frames).toHaveLength(3000);
    for (const f of frames) {
      expect(f['_ws.malformed']).toBe('');
      expect(f['ip.checksum.status']).toBe('1,1'); // outer and inner IPv4 headers
      expect(f['tcp.checksum.status']).toBe('1');
      const [outer, inner] = f['ip.dst'].split(',');
      expect(BACKENDS).toContain(outer);
      expect(inner).toBe('10.0.0.100'); // the VIP stays inside: the backend answers as the VIP
    }
  });
});
