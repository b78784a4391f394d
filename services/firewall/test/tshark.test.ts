// tshark reads what the firewall let through: `vnflab run --config chains/firewall.yaml
// --capture`, then `tshark -r`. Every frame dissects with good checksums, none comes from the
// denied source-port slice, every allowed flow is there, and the count is what the backends got.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'vnflab.js');
const hasTshark = spawnSync('sh', ['-c', 'command -v tshark']).status === 0;
if (!hasTshark)
  console.warn(
    'services/firewall/test/tshark.test.ts skipped: tshark is not on PATH (install it with `apt-get install tshark`)',
  );
const maybe = hasTshark ? describe : describe.skip;

const FIELDS = ['udp.srcport', 'ip.dst', 'ip.checksum.status', 'udp.checksum.status', '_ws.malformed'];
const BACKENDS = ['10.0.1.1', '10.0.1.2', '10.0.1.3'];

maybe('tshark reads a capture of what the firewall let through', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vnflab-fw-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('vnflab run --config chains/firewall.yaml --capture: no denied flow, every allowed flow, checksums good', () => {
    const pcap = join(dir, 'fw.pcap');
    const json = join(dir, 'fw.json');
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'run',
        '--config',
        join(ROOT, 'chains', 'firewall.yaml'),
        '--count',
        '20000',
        '--profile',
        'zero',
        '--quiet',
        '--capture',
        pcap,
        '--json',
        json,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 120000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(json, 'utf8'));
    expect(s.accounting_closed).toBe(true);
    expect(s.drops.firewall.acl_deny).toBe(s.sent - s.received);

    const args = [
      '-n',
      '-r',
      pcap,
      '-d',
      'udp.port==49152-65535,data',
      '-d',
      'udp.port==8080,data',
      '-o',
      'ip.check_checksum:TRUE',
      '-o',
      'udp.check_checksum:TRUE',
      '-T',
      'fields',
      '-E',
      'separator=\t',
    ];
    for (const f of FIELDS) args.push('-e', f);
    const t = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60000 });
    expect(t.status).toBe(0);
    const frames = t.stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => l.split('\t'));
    expect(frames).toHaveLength(s.received);
    const ports = new Set<number>();
    const bad: string[] = [];
    for (const [sport, dst, ipSt, udpSt, malformed] of frames) {
      ports.add(Number(sport));
      if (!BACKENDS.includes(dst) || ipSt !== '1' || udpSt !== '1' || malformed !== '')
        bad.push([sport, dst, ipSt, udpSt, malformed].join(' | '));
    }
    expect(bad.slice(0, 5)).toEqual([]);
    // flows use source ports 49152..50175; the deny rule names 49152-49279
    const denied = [...ports].filter((p) => p >= 49152 && p <= 49279);
    expect(denied).toEqual([]);
    expect(ports.size).toBe(1024 - 128);
    expect(Math.min(...ports)).toBe(49280);
    expect(Math.max(...ports)).toBe(50175);
  });
});
