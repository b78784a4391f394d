// Bad input to the CLI: one line that says what is wrong, a non-zero exit, never a stack trace.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '@vnflab/core';
import { ROOT, vnflab } from './helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-cli-'));

function expectUsageError(args: string[], message: RegExp): void {
  const r = vnflab(args);
  expect(r.status).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('the CLI refuses bad input with one clear line', () => {
  test('unknown command and unknown flag', () => {
    expectUsageError(['frobnicate'], /unknown command "frobnicate"/);
    expectUsageError(['run', '--sise', '64'], /Unknown option '--sise'/);
  });

  test('out-of-range and malformed flags', () => {
    expectUsageError(['run', '--size', '9000'], /--size: 9000 is above the maximum 1518/);
    expectUsageError(['run', '--rate', 'fast'], /--rate: "fast" is not a number/);
    expectUsageError(['run', '--flows', '0'], /--flows: 0 is below the minimum 1/);
    expectUsageError(['run', '--proto', 'sctp'], /--proto: "sctp" is not udp or tcp/);
    expectUsageError(['run', '--flush-ms', '5000'], /--flush-ms: 5000 is above the maximum 1000/);
    expectUsageError(['run', '--count', '5', '--duration', '1'], /--duration or --count, not both/);
    expectUsageError(['run', '--profile', 'nonsense', '--count', '1'], /unknown cost profile "nonsense"/);
    expectUsageError(['gen', '--count', '10'], /--out FILE is required/);
  });

  test('non-regular files are refused at once: no endless read, no hang on a FIFO', () => {
    expectUsageError(
      ['run', '--config', '/dev/zero'],
      /cannot read chain file \/dev\/zero: a character device, not a regular file/,
    );
    expectUsageError(['run', '--pcap-in', '/dev/zero'], /\/dev\/zero: a character device, not a regular file/);
    expectUsageError(['run', '--config', dir], /: a directory, not a regular file/);
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expectUsageError(['run', '--pcap-in', fifo, '--count', '1'], /fifo: a FIFO, not a regular file/);
    expectUsageError(['run', '--config', fifo], /fifo: a FIFO, not a regular file/);
  });

  test('a setting the schema lets through but the stage refuses is bad usage naming the stage and key', () => {
    const chain = readFileSync(join(ROOT, 'chains', 'default.yaml'), 'utf8');
    const badLb = join(dir, 'bad-lb.yaml');
    writeFileSync(badLb, chain.replace('table_size: 65537', 'table_size: 65536'));
    expectUsageError(
      ['run', '--config', badLb, '--count', '10'],
      /^vnflab: stages\[3\] \(lb\): .*table_size: 65536 is not prime/,
    );
    // the other construction errors, each exit 2 naming its stage and key
    const cases: [string, string, RegExp][] = [
      ['dst: 10.0.0.100:80', 'dst: "x:y"', /^vnflab: stages\[0\] \(traffic-gen\): dst: "x:y" is not address:port/],
      [
        'dst: 10.0.0.100:80',
        'dst: 10.0.0.300:80',
        /^vnflab: stages\[0\] \(traffic-gen\): dst: "10\.0\.0\.300" is not an IPv4 address/,
      ],
      [
        'dst: 10.0.0.100:80',
        'dst: 10.0.0.100:80\n      src_net: 10.1.0.0/16',
        /^vnflab: stages\[0\] \(traffic-gen\): src_net: "10\.1\.0\.0\/16" is not an IPv4 address/,
      ],
      ['proto: udp', 'proto: tcp', /^vnflab: stages\[0\] \(traffic-gen\): size: 64 is too small for tcp/],
      [
        'address: 10.0.1.1,',
        'address: 10.0.1.999,',
        /^vnflab: stages\[3\] \(lb\): .*vips\[0\]\.backends\[0\]\.address: "10\.0\.1\.999" is not an IPv4 address/,
      ],
      [
        'name: web-2, address: 10.0.1.2',
        'name: web-1, address: 10.0.1.2',
        /^vnflab: stages\[3\] \(lb\): .*vips\[0\]\.backends\[1\]\.name: "web-1" is used twice/,
      ],
      [
        'ring_size: 512     #',
        'ring_size: 500     #',
        /^vnflab: stages\[1\] \(nic\): .*ring_size: 500 must be a power of two/,
      ],
    ];
    cases.forEach(([from, to, message], i) => {
      expect(chain).toContain(from);
      const file = join(dir, `construction-${i}.yaml`);
      writeFileSync(file, chain.replace(from, to));
      expectUsageError(['run', '--config', file, '--count', '10'], message);
    });
    // a replay whose original timing would wait 136 years
    const far = join(dir, 'far.pcap');
    const w = new PcapWriter(far);
    const frame = Buffer.alloc(60);
    w.write(frame, 0, frame.length, 1000, 0);
    w.write(frame, 0, frame.length, 1000 + 136 * 365 * 86400, 0);
    w.close();
    expectUsageError(
      ['run', '--pcap-in', far, '--pcap-timing', 'original'],
      /stages\[0\] \(traffic-gen\): pcap_timing: .*far\.pcap record 1 is \d+ s after the first/,
    );
  });

  test('unreadable and corrupt files', () => {
    expectUsageError(['run', '--config', join(dir, 'nope.yaml')], /cannot read chain file .*nope\.yaml: ENOENT/);
    expectUsageError(['run', '--pcap-in', join(dir, 'nope.pcap')], /nope\.pcap: cannot read: ENOENT at offset 0/);
    const bad = join(dir, 'trunc.pcap');
    writeFileSync(
      bad,
      Buffer.concat([Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'), Buffer.alloc(9)]),
    );
    expectUsageError(['run', '--pcap-in', bad], /trunc\.pcap: truncated record header \(9 of 16 bytes\) at offset 24/);
    expectUsageError(
      ['gen', '--count', '10', '--out', join(dir, 'no', 'such', 'dir.pcap')],
      /--out: cannot write .*ENOENT/,
    );
    // checked before the run, not found after it (a run of a minute here: it must not start)
    expectUsageError(
      ['run', '--duration', '60', '--json', join(dir, 'no', 'such', 'x.json')],
      /--json: cannot write .*x\.json: ENOENT/,
    );
    expectUsageError(['run', '--duration', '60', '--json', dir], /--json: cannot write .*: EISDIR/);
  });

  test('chain files: unknown keys, bad values and bad YAML point at the key', () => {
    const f = (name: string, text: string): string => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    expectUsageError(
      [
        'run',
        '--config',
        f('k.yaml', 'name: x\nstages:\n  - stage: traffic-gen\n    settings: { sise: 64 }\n  - stage: backends\n'),
      ],
      /stages\[0\]\.settings\.sise: unknown key/,
    );
    expectUsageError(
      [
        'run',
        '--config',
        f('v.yaml', 'name: x\nstages:\n  - stage: traffic-gen\n    settings: { flows: -3 }\n  - stage: backends\n'),
      ],
      /stages\[0\]\.settings\.flows: expected integer to be greater or equal to 1/,
    );
    expectUsageError(
      ['run', '--config', f('s.yaml', 'name: x\nstages:\n  - stage: warp-drive\n  - stage: backends\n')],
      /stages\[0\]\.stage: unknown stage "warp-drive"/,
    );
    expectUsageError(
      ['run', '--config', f('t.yaml', 'name: x\nbatchsize: 3\nstages:\n  - stage: traffic-gen\n  - stage: backends\n')],
      /batchsize: unknown key/,
    );
    expectUsageError(['run', '--config', f('y.yaml', 'name: [x\n')], /not valid YAML/);
  });
});
