// The web workload as a closed-loop chain on the embedded runtime: a test source that is a real
// TCP client (@vnflab/tcp, client role) opening short HTTP/1.0 connections -> kernel-path (linux,
// user-tcp) -> web-server, the answers coming back through kernel-path's return runner to the
// source. Every transaction completes and the runtime's accounting closes both ways.

import { Type } from '@sinclair/typebox';
import { StageRegistry, monoNs, validateChain, type Batch, type ElementContext, type Source } from '@vnflab/core';
import { EmbeddedChain, summarize } from '@vnflab/runtime';
import { webServerStage } from '@vnflab/web-server';
import { kernelPathStage } from '../src';
import { Client } from './web-loop';

/**
 * A Source over the test client (ApacheBench's -n total -c concurrency): its frames go out in
 * fill(), what comes back goes to its TCP; a finished connection is replaced by a new one.
 */
export class TcpTestSource implements Source {
  readonly stage = 'tcp-test-client';
  readonly variant = 'ab';
  readonly client = new Client();
  sent = 0;
  opened = 0;
  private stopped = false;

  constructor(
    readonly total: number,
    readonly concurrency = total,
  ) {}

  get finished(): number {
    const c = this.client;
    return c.done + c.bad.length + c.resets;
  }

  get done(): boolean {
    if (this.stopped) return true;
    return this.opened >= this.total && this.client.out.length === 0 && this.finished >= this.total;
  }

  waitMs(): number {
    // nothing due until a response comes, but the client's timers want a look now and then
    const open = this.opened < this.total && this.opened - this.finished < this.concurrency;
    return open || this.client.out.length > 0 ? 0 : 5;
  }

  fill(b: Batch, nowNs: number): number {
    const c = this.client;
    const want = Math.min(this.concurrency - (this.opened - this.finished), this.total - this.opened);
    if (want > 0) {
      c.open(want);
      this.opened += want;
    }
    c.tcp.tick(nowNs);
    let n = 0;
    while (c.out.length > 0) {
      const f = c.out[0];
      const i = b.append(f.length);
      if (i < 0) break;
      f.copy(b.buf, b.offset(i));
      c.out.shift();
      n++;
    }
    this.sent += n;
    return n;
  }

  receive(b: Batch, _nowNs: number, _ctx: ElementContext): void {
    for (let i = 0; i < b.count; i++) {
      const f = b.buf.subarray(b.offset(i), b.offset(i) + b.length(i));
      const v = this.client.tcp.input(f, 0, f.length, this.client.now());
      if (v !== 0) b.drop(i, v);
    }
  }

  stop(): void {
    this.stopped = true;
  }
}

export function registry(): StageRegistry {
  return new StageRegistry()
    .register({
      stage: 'tcp-test-client',
      role: 'source',
      variants: ['ab'],
      description: 'a TCP client opening short HTTP/1.0 connections (test)',
      defaultCategory: 'app',
      settings: Type.Object(
        { connections: Type.Integer({ minimum: 1 }), concurrency: Type.Optional(Type.Integer({ minimum: 1 })) },
        { additionalProperties: false },
      ),
      provides: { destination_port: () => 80 },
      create: (_v, s) => new TcpTestSource(s.connections as number, s.concurrency as number | undefined),
    })
    .register(kernelPathStage)
    .register(webServerStage);
}

async function runChain(variant: string, connections: number) {
  const reg = registry();
  const chain = validateChain(
    {
      name: 'web-test',
      profile: 'zero',
      batch_size: 64,
      loop: true,
      stages: [
        { stage: 'tcp-test-client', settings: { connections } },
        { stage: 'kernel-path', variant },
        { stage: 'web-server', variant: 'lighttpd' },
      ],
    },
    reg,
  );
  const ec = new EmbeddedChain(chain, reg);
  const t0 = monoNs();
  await ec.start();
  const s = summarize(chain.name, chain.profile, ec.stages, ec.elapsedSeconds(), undefined, chain.loop);
  const by = (name: string) => ec.stages.find((x) => x.name === name)!;
  return { s, by, seconds: (monoNs() - t0) / 1e9 };
}

describe('the web workload as an embedded loop chain', () => {
  for (const variant of ['linux', 'user-tcp']) {
    test(`${variant}: 50 short transactions complete and the accounting closes both ways`, async () => {
      const { s, by } = await runChain(variant, 50);
      const src = by('tcp-test-client').element as unknown as TcpTestSource;
      expect(src.client.bad).toEqual([]);
      expect(src.client.done).toBe(50);
      expect(s.accounting_closed).toBe(true);
      // on a loaded machine a segment can outwait the client's RTO: its retransmission reaches
      // the server as a duplicate (counted, and still closing the accounting); otherwise none
      if (src.client.tcp.stats.retransmits === 0) expect(s.drops_total).toBe(0);
      else for (const r of Object.keys(s.drops['kernel-path'] ?? {})) expect(['duplicate_segment']).toContain(r);
      const kp = by('kernel-path');
      const web = by('web-server');
      // kernel-path terminates every segment and every answer record; it originates the
      // records for the application and the segments back
      expect(kp.stats.delivered + s.drops_total).toBe(s.sent + web.stats.originated);
      expect(web.stats.delivered).toBe(2 * 50); // an accept and a data record per connection
      const back = by('tcp-test-client').stats.delivered; // the segments that reached the client
      expect(kp.stats.originated).toBe(2 * 50 + back);
      const d = kp.element.describe!() as { app: { calls: Record<string, number>; failed: Record<string, number> } };
      expect(d.app.calls.accept4 - (d.app.failed.accept4 ?? 0)).toBe(50);
      expect(d.app.calls).toMatchObject({ epoll_ctl: 50, read: 50, writev: 50, close: 50 });
      const ev = kp.stats.eventsByName();
      const calls = Object.values(d.app.calls).reduce((a, b) => a + b, 0);
      if (variant === 'linux') {
        expect(ev.syscall).toBe(calls);
        expect(ev.interrupt).toBeGreaterThan(0);
      } else {
        // mTCP: library calls, poll-mode I/O: no mode switch, no context switch, no interrupt
        expect(ev.syscall ?? 0).toBe(0);
        expect(ev.context_switch ?? 0).toBe(0);
        expect(ev.interrupt ?? 0).toBe(0);
      }
    });
  }
});
