// Checks the lb's output with an independent implementation: tshark verifies every IPv4, UDP
// and TCP checksum of packets the element forwarded (NAT and IP-in-IP), written to a pcap with
// core's PcapWriter. (The `vnflab gen --capture` path is checked once the CLI has it.)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter, ipToString, wallTime } from '@vnflab/core';
import { LoadBalancer } from '@vnflab/lb';
import { batchOf, flow, makeCtx, type FlowSpec } from './helpers';
import { TSHARK, describeWithTshark } from '../../../test/helpers/tshark';

const maybe = describeWithTshark('lb-tshark.test.ts');

const SIZES = [60, 64, 200, 570, 1514];
const GOOD = '1'; // tshark's checksum status: 0 bad, 1 good, 2 unverified

maybe('tshark verifies the checksums of what the lb forwarded', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vnflab-lb-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(['nat', 'ipip'] as const)('%s: every IPv4/UDP/TCP checksum good, destination = chosen backend', (mode) => {
    const lb = new LoadBalancer('maglev', { mode });
    const flows: FlowSpec[] = Array.from({ length: 240 }, (_, i) => ({
      ...flow(i, i % 2 ? 'tcp' : 'udp'),
      len: SIZES[i % SIZES.length],
    }));
    const file = join(dir, `lb-${mode}.pcap`);
    const w = new PcapWriter(file);
    const expected: string[] = [];
    const addrOf = new Map(lb.listBackends()[0].backends.map((b) => [b.name, b.address]));
    for (let k = 0; k < flows.length; k += 60) {
      const chunk = flows.slice(k, k + 60);
      const b = batchOf(chunk);
      lb.process(b, makeCtx());
      for (let i = 0; i < b.count; i++) {
        expect(b.alive(i)).toBe(true);
        const t = wallTime();
        w.write(b.buf, b.offset(i), b.length(i), t.sec, t.nsec);
        const f = chunk[i];
        const name = lb.trackedBackend(ipToString(f.src), f.sport, '10.0.0.100', 80, f.proto === 'tcp' ? 6 : 17);
        expected.push(addrOf.get(name ?? '') ?? 'untracked');
      }
    }
    w.close();

    const r = spawnSync(
      TSHARK!,
      [
        '-n',
        '-r',
        file,
        '-d',
        'udp.port==80,data',
        '-d',
        'tcp.port==80,data',
        '-d',
        'udp.port==8080,data',
        '-d',
        'tcp.port==8080,data',
        '-o',
        'ip.check_checksum:TRUE',
        '-o',
        'udp.check_checksum:TRUE',
        '-o',
        'tcp.check_checksum:TRUE',
        '-T',
        'fields',
        '-E',
        'occurrence=a',
        '-E',
        'aggregator=,',
        '-e',
        'ip.dst',
        '-e',
        'ip.checksum.status',
        '-e',
        'udp.checksum.status',
        '-e',
        'tcp.checksum.status',
      ],
      { encoding: 'utf8', timeout: 30000 },
    );
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(flows.length);
    const bad: string[] = [];
    lines.forEach((line, i) => {
      const [dst, ipSt, udpSt, tcpSt] = line.split('\t');
      const dsts = dst.split(',');
      const ipStatus = ipSt.split(',');
      // NAT: one IP header, to the backend; IP-in-IP: outer to the backend, inner still to the VIP
      const wantDst = mode === 'nat' ? [expected[i]] : [expected[i], '10.0.0.100'];
      const l4 = flows[i].proto === 'tcp' ? tcpSt : udpSt;
      const ok =
        JSON.stringify(dsts) === JSON.stringify(wantDst) &&
        ipStatus.length === wantDst.length &&
        ipStatus.every((s) => s === GOOD) &&
        l4 === GOOD;
      if (!ok)
        bad.push(
          `packet ${i + 1}: ${line.replace(/\t/g, ' | ')} (want dst ${wantDst.join(',')}, all statuses ${GOOD})`,
        );
    });
    expect(bad).toEqual([]);
  });
});
