// Both ends of this library talking through an in-memory wire, every frame written to a pcap
// with core's writer, then judged by an independent implementation: tshark finds the right
// number of TCP conversations, every IP and TCP checksum good, and no expert error or warning
// (Wireshark's TCP analysis flags bad sequence numbers, ACKs of unseen segments, window
// violations, resets and retransmissions).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '@vnflab/core';
import { type FrameSlot, TcpEndpoint, type TcpEvents, type TcpSink } from '@vnflab/tcp';
import { CLIENT_IP, MS, SERVER_IP, T0 } from './helpers';
import { checkedFields, describeWithTshark, tcpConversations } from '../../../test/helpers/tshark';

const maybe = describeWithTshark('tcp tshark.test.ts');

/** Frames one endpoint transmits, queued for the other. */
class Queue implements TcpSink {
  readonly frames: Buffer[] = [];
  private readonly scratch = Buffer.alloc(2048);
  reserve(_len: number, slot: FrameSlot): boolean {
    slot.buf = this.scratch;
    slot.off = 0;
    return true;
  }
  commit(_slot: FrameSlot, len: number): void {
    this.frames.push(Buffer.from(this.scratch.subarray(0, len)));
  }
}

const REQUEST = Buffer.from('GET /index.html HTTP/1.0\r\nHost: 10.0.0.2\r\n\r\n');
const RESPONSE = Buffer.alloc(5000, 0x61); // several segments, more than one full window's worth of ACK decisions

function run(file: string, connections: number): { served: number; closed: number } {
  const toServer = new Queue();
  const toClient = new Queue();
  let now = T0;
  const result = { served: 0, closed: 0 };
  // server: an HTTP/1.0 server in miniature: answers the request, then closes first
  const got = new Map<number, number>();
  const sent = new Map<number, number>();
  // sends what the send buffer takes; the rest when `writable` says so; then the FIN
  const respond = (conn: number): void => {
    const from = sent.get(conn) ?? 0;
    const n = server.send(conn, RESPONSE, from, RESPONSE.length - from, now);
    sent.set(conn, from + n);
    if (from + n === RESPONSE.length) server.close(conn, now);
  };
  const serverEvents: TcpEvents = {
    connected: () => undefined,
    acceptReady: (port) => {
      server.accept(port);
    },
    data: (conn, _buf, _off, len) => {
      const n = (got.get(conn) ?? 0) + len;
      got.set(conn, n);
      if (n === REQUEST.length) {
        respond(conn);
        result.served++;
      }
    },
    writable: (conn) => respond(conn),
    peerClosed: () => undefined,
    closed: () => undefined,
  };
  const received = new Map<number, number>();
  const clientEvents: TcpEvents = {
    connected: (conn) => {
      client.send(conn, REQUEST, 0, REQUEST.length, now);
    },
    acceptReady: () => undefined,
    data: (conn, _buf, _off, len) => {
      received.set(conn, (received.get(conn) ?? 0) + len);
    },
    peerClosed: (conn) => {
      if (received.get(conn) === RESPONSE.length) client.close(conn, now);
    },
    closed: () => {
      result.closed++;
    },
  };
  // small send buffers so the response waits for ACKs to go out
  const server = new TcpEndpoint(
    { localIp: SERVER_IP, maxConnections: 64, poolSegments: 64, sendBufferBytes: 3000 },
    toClient,
    serverEvents,
  );
  const client = new TcpEndpoint({ localIp: CLIENT_IP, maxConnections: 64, poolSegments: 64 }, toServer, clientEvents);
  server.listen(80);
  const pcap = new PcapWriter(file);
  const write = (f: Buffer): void => {
    const ns = now - T0 + 1_700_000_000 * 1e9;
    pcap.write(f, 0, f.length, Math.floor(ns / 1e9), Math.round(ns % 1e9));
  };
  for (let i = 0; i < connections; i++) client.connect(SERVER_IP, 80, now);
  for (let round = 0; round < 2000; round++) {
    now += MS;
    client.tick(now);
    server.tick(now);
    for (const f of toServer.frames.splice(0)) {
      write(f);
      expect(server.input(f, 0, f.length, now)).toBe(0);
    }
    for (const f of toClient.frames.splice(0)) {
      write(f);
      expect(client.input(f, 0, f.length, now)).toBe(0);
    }
  }
  pcap.close();
  return result;
}

maybe('tshark reads a client<->server exchange of this library', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vnflab-tcp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('three HTTP/1.0-like connections: 3 conversations, checksums good, no expert errors or warnings', () => {
    const file = join(dir, 'tcp.pcap');
    expect(run(file, 3)).toEqual({ served: 3, closed: 3 });

    const rows = tcpConversations(file);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).toMatch(/^10\.0\.0\.1:\d+\s+<->\s+10\.0\.0\.2:80\s/);

    const lines = checkedFields(
      file,
      ['ip.checksum.status', 'tcp.checksum.status', '_ws.expert.severity', '_ws.expert.message'],
      ['-d', 'tcp.port==80,data'], // judge TCP, not the HTTP-looking bytes
    );
    expect(lines.length).toBeGreaterThan(3 * 10); // handshake, request, 4 data segments, FINs, ACKs each
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
});
