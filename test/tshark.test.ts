// tshark reads what `vnflab gen` and `vnflab run --capture` write: every frame dissected, none
// malformed, IPv4 and UDP/TCP checksums good.

import { mkdtempSync } from 'node:fs';
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

  test('vnflab run --capture writes what the backends received', () => {
    const out = join(dir, 'run-capture.pcap');
    const json = join(dir, 'run.json');
    const r = vnflab(['run', '--count', '20000', '--quiet', '--capture', out, '--json', json]);
    expect(r.status).toBe(0);
    const frames = expectAllGood(out, 20000, 'udp');
    expect(frames[0]['ip.dst']).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});
