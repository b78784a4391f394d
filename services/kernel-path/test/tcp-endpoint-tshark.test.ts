// The web workload's segments, both ways, written to a pcap in the order they crossed the wire
// and judged by tshark: one TCP conversation per transaction, each an HTTP 200, every IP and TCP
// checksum good, and no expert warning or error (bad sequence numbers, unseen segments, resets).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, settle, webLoop } from './web-loop';
import { checkedFields, describeWithTshark, tcpConversations, tshark } from '../../../test/helpers/tshark';

const maybe = describeWithTshark('kernel-path tcp-endpoint-tshark.test.ts');

maybe('tshark reads the linux endpoint serving short transactions', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vnflab-kp-tcp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const variant of ['linux', 'user-tcp']) {
    test(`${variant}: 12 transactions are 12 conversations, 12 HTTP 200s, checksums good, no expert warnings`, async () => {
      const N = 12;
      const file = join(dir, `${variant}.pcap`);
      const client = new Client();
      const L = webLoop(variant, {}, [client], { pcap: file });
      client.open(N);
      await settle(L);
      L.pcap!.close();
      expect(client.done).toBe(N);

      const rows = tcpConversations(file);
      expect(rows).toHaveLength(N);
      for (const r of rows) expect(r).toMatch(/^10\.0\.0\.1:\d+\s+<->\s+10\.0\.0\.100:80\s/);

      const codes = tshark(['-r', file, '-Y', 'http.response', '-T', 'fields', '-e', 'http.response.code'])
        .split('\n')
        .filter(Boolean);
      expect(codes).toEqual(Array(N).fill('200'));
      const gets = tshark(['-r', file, '-Y', 'http.request.method == "GET"', '-T', 'fields', '-e', 'http.request.uri'])
        .split('\n')
        .filter(Boolean);
      expect(gets).toEqual(Array(N).fill('/index.html'));

      const lines = checkedFields(file, [
        'ip.checksum.status',
        'tcp.checksum.status',
        '_ws.expert.severity',
        '_ws.expert.message',
      ]);
      expect(lines).toHaveLength(L.seg.in + L.segBack.in);
      const problems: string[] = [];
      for (const l of lines) {
        const [ip, tcp, severity, message] = l.split('\t');
        if (ip !== '1' || tcp !== '1') problems.push(`checksum status ip=${ip} tcp=${tcp}`);
        // Wireshark's severities: chat 2097152, note 4194304, warn 6291456, error 8388608
        for (const sv of (severity ?? '').split(',').filter(Boolean))
          if (Number(sv) >= 6291456) problems.push(`expert ${sv}: ${message}`);
      }
      expect(problems).toEqual([]);
    });
  }
});
