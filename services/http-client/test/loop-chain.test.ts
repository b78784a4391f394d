// The client in a closed-loop chain run by the runtime (EmbeddedChain, loop: true): http-client
// -> a server stage on the TCP library that terminates the client's segments (batch.deliver)
// and sends its own back (ctx.out.back()), its timers on the runtime's tick. Every frame either
// way is accounted for: sent + originated = delivered + drops.

import { Type } from '@sinclair/typebox';
import { StageRegistry, monoNs, validateChain, type Batch, type Element, type ElementContext } from '@vnflab/core';
import { EmbeddedChain, summarize } from '@vnflab/runtime';
import { type FrameSlot, TcpEndpoint, type TcpEvents, type TcpSink } from '@vnflab/tcp';
import { HttpClient, httpClientStage } from '../src';
import { SERVER_IP } from './helpers';

const BODY = Buffer.alloc(64, 0x78);

/** A lighttpd in miniature as a loop chain's last stage. */
class TcpServerStage implements Element, TcpEvents, TcpSink {
  readonly stage = 'tcp-test-server';
  readonly variant = 'http';
  readonly tickIntervalMs = 5;
  readonly tcp = new TcpEndpoint({ localIp: SERVER_IP, maxConnections: 32768, poolSegments: 4096 }, this, this);
  private ctx: ElementContext | null = null;
  private now = 0;
  private readonly got = new Map<number, string>();
  served = 0;

  constructor() {
    this.tcp.listen(80, 4096);
  }

  reserve(len: number, slot: FrameSlot): boolean {
    const b = this.ctx!.out!.back();
    const i = b.append(len);
    if (i < 0) return false;
    slot.buf = b.buf;
    slot.off = b.offset(i);
    return true;
  }
  commit(): void {}

  connected(): void {}
  acceptReady(port: number): void {
    this.tcp.accept(port);
  }
  data(conn: number, buf: Uint8Array, off: number, len: number): void {
    const text = (this.got.get(conn) ?? '') + Buffer.from(buf.subarray(off, off + len)).toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) return void this.got.set(conn, text);
    this.got.set(conn, text.slice(end + 4));
    const keep = / HTTP\/1\.1\r\n/.test(text) && !/Connection: close/.test(text);
    const head = `HTTP/1.${keep ? 1 : 0} 200 OK\r\nContent-Length: 64\r\nConnection: ${keep ? 'keep-alive' : 'close'}\r\n\r\n`;
    const bytes = Buffer.concat([Buffer.from(head, 'latin1'), BODY]);
    this.tcp.send(conn, bytes, 0, bytes.length, this.now);
    this.served++;
    if (!keep) this.tcp.close(conn, this.now);
  }
  peerClosed(conn: number): void {
    this.tcp.close(conn, this.now);
  }
  closed(conn: number): void {
    this.got.delete(conn);
  }

  process(batch: Batch, ctx: ElementContext): void {
    this.ctx = ctx;
    this.now = monoNs();
    for (let i = 0, c = batch.count; i < c; i++) {
      if (!batch.alive(i)) continue;
      const v = this.tcp.input(batch.buf, batch.offset(i), batch.length(i), this.now);
      if (v === 0) batch.deliver(i);
      else batch.drop(i, v);
    }
  }

  tick(nowNs: number, ctx: ElementContext): void {
    this.ctx = ctx;
    this.now = nowNs;
    this.tcp.tick(nowNs);
  }
}

function registry(): StageRegistry {
  return new StageRegistry().register(httpClientStage).register({
    stage: 'tcp-test-server',
    role: 'element',
    variants: ['http'],
    description: 'an HTTP server on the TCP library, for tests',
    defaultCategory: 'app',
    settings: Type.Object({}, { additionalProperties: false }),
    create: () => new TcpServerStage(),
  });
}

async function run(client: Record<string, unknown>) {
  const reg = registry();
  const chain = validateChain(
    {
      name: 'web-test',
      profile: 'zero',
      batch_size: 64,
      loop: true,
      stages: [{ stage: 'http-client', settings: client }, { stage: 'tcp-test-server' }],
    },
    reg,
  );
  const ec = new EmbeddedChain(chain, reg);
  await ec.start();
  const s = summarize(chain.name, chain.profile, ec.stages, ec.elapsedSeconds(), undefined, chain.loop);
  return { ec, s, client: ec.stages[0].element as HttpClient, server: ec.stages[1].element as TcpServerStage };
}

describe('http-client in a closed-loop chain, embedded', () => {
  test('2000 short transactions over 64 connections: all complete, accounting closes both ways', async () => {
    const { s, client, server, ec } = await run({ count: 2000, connections: 64 });
    const d = client.describe() as {
      transactions: { completed: number; failed: Record<string, number> };
      retransmissions: number;
    };
    expect(d.transactions.completed).toBe(2000);
    expect(d.transactions.failed).toEqual({});
    expect(server.served).toBe(2000);
    expect(s.accounting_closed).toBe(true);
    // on a loaded machine a segment can outwait the client's RTO: its retransmission reaches the
    // server as a duplicate (counted, and still closing the accounting); otherwise nothing drops
    if (d.retransmissions === 0) expect(s.drops_total).toBe(0);
    else
      for (const m of Object.values(s.drops))
        for (const r of Object.keys(m)) expect(r).toMatch(/duplicate|closed_port/);
    // every client frame delivered at the server, every server frame delivered at the client
    expect(s.sent).toBe(client.sent);
    expect(ec.stages[1].stats.delivered).toBe(s.sent);
    expect(ec.stages[0].stats.delivered).toBe(ec.stages[1].stats.originated);
    expect(s.stages[0].details).toHaveProperty('headline');
  });

  test('keep-alive at a rate: 300 transactions at 3000/s take at least 0.1 s', async () => {
    const { s, client } = await run({ count: 300, connections: 8, requests_per_connection: 10, rate: 3000 });
    const d = client.describe() as { transactions: { completed: number }; connections: { opened: number } };
    expect(d.transactions.completed).toBe(300);
    expect(d.connections.opened).toBe(30);
    const span = (client.stats.lastNs - client.stats.firstNs) / 1e6;
    // the rate holds them back (a busy machine may only make it longer, which is not checked here)
    expect(span).toBeGreaterThan(90);
    expect(s.accounting_closed).toBe(true);
  });
});
