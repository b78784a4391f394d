// The client's frames judged by an independent implementation: a run against the test server
// written to a pcap (both directions, so sequence and acknowledgment numbers can be followed),
// then tshark checks every IP and TCP checksum, finds one conversation per connection, and
// reports no expert warning or error (bad sequence numbers, ACKs of unseen segments, window
// violations, retransmissions), for short and for keep-alive connections.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '@vnflab/core';
import { HttpClient } from '../src';
import { T0, TestServer, runLoop } from './helpers';
import { checkedFields, describeWithTshark, tcpConversations } from '../../../test/helpers/tshark';

const maybe = describeWithTshark('http-client tshark.test.ts');

maybe('tshark reads the client against a server', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vnflab-http-client-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['short HTTP/1.0', { count: 20, connections: 8 }, 20],
    ['keep-alive, 4 per connection', { count: 20, connections: 3, requests_per_connection: 4 }, 5],
  ])('%s: checksums good, one conversation per connection, no expert warnings', (name, settings, conversations) => {
    const c = new HttpClient('ab', settings);
    const r = runLoop(c, new TestServer('serve'));
    expect((c.describe() as { transactions: { completed: number } }).transactions.completed).toBe(20);
    const file = join(dir, `${name.replace(/\W+/g, '-')}.pcap`);
    const pcap = new PcapWriter(file);
    // both directions in time order (the client's frames of a step go before the server's answers)
    const all = [...r.clientFrames, ...r.serverFrames].sort((a, b) => a.at - b.at);
    for (const { at, frame } of all) {
      const ns = at - T0 + 1_700_000_000 * 1e9;
      pcap.write(frame, 0, frame.length, Math.floor(ns / 1e9), Math.round(ns % 1e9));
    }
    pcap.close();

    const rows = tcpConversations(file);
    expect(rows).toHaveLength(conversations);
    for (const row of rows) expect(row).toMatch(/^10\.1\.0\.1:\d+\s+<->\s+10\.0\.0\.100:80\s/);

    const lines = checkedFields(file, [
      'ip.src',
      'ip.checksum.status',
      'tcp.checksum.status',
      'tcp.options.mss_val',
      'tcp.options.wscale.shift',
      'tcp.options.timestamp.tsval',
      'tcp.options.sack_perm',
      'tcp.flags.syn',
      'tcp.flags.ack',
      '_ws.expert.severity',
      '_ws.expert.message',
    ]);
    expect(lines).toHaveLength(all.length);
    const problems: string[] = [];
    let clientSyns = 0;
    for (const l of lines) {
      const [src, ip, tcp, mss, wscale, tsval, sackPerm, syn, ack, severity, message] = l.split('\t');
      if (ip !== '1' || tcp !== '1') problems.push(`checksum status ip=${ip} tcp=${tcp}`);
      if (src === '10.1.0.1' && syn === '1' && ack === '0') {
        clientSyns++;
        // the SYN's options: MSS, window scale, SACK-permitted and timestamps
        if (mss !== '1460' || wscale !== '7' || !tsval || !sackPerm)
          problems.push(`SYN options mss=${mss} wscale=${wscale} ts=${tsval} sack_perm=${sackPerm}`);
      }
      // Wireshark's severities: chat 2097152, note 4194304, warn 6291456, error 8388608
      for (const sv of (severity ?? '').split(',').filter(Boolean))
        if (Number(sv) >= 6291456) problems.push(`expert ${sv}: ${message}`);
    }
    expect(problems).toEqual([]);
    expect(clientSyns).toBe(conversations);
  });
});
