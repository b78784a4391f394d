// kernel-path as a TCP endpoint (stack tcp) under the web server: short HTTP/1.0 transactions
// from a real TCP client, the server's calls counted per transaction, both directions accounted,
// Linux against the user-space stack, listener overflow, a peer's reset.

import { ipFromString } from '@vnflab/core';
import { KernelPath, kernelPathStage } from '../src';
import { batchOf, ctxFor } from './helpers';
import { Client, REQUEST, webLoop, settle } from './web-loop';

const N = 20;

/** The parts of describe() these tests read. */
interface Described {
  tcp_endpoint: {
    open_fds: number;
    time_wait: number;
    connections: number;
    segments_sent: number;
    tcp_drops: Record<string, number>;
    closed_under_application: Record<string, number>;
    accept_mismatch: number;
  };
  app: { calls: Record<string, number>; failed: Record<string, number>; eofs: number };
  socket_calls: { sleeps: number; context_switches: number };
}

async function transactions(variant: string, n = N, settings: Record<string, unknown> = {}, profile = 'zero') {
  const client = new Client();
  const L = webLoop(variant, settings, [client], { profile });
  client.open(n);
  await settle(L);
  return { client, L };
}

describe('kernel-path stack tcp: short transactions', () => {
  test('linux: every transaction completes; each costs one accept4, epoll_ctl, read, writev and close', async () => {
    const { client, L } = await transactions('linux');
    expect(client.bad).toEqual([]);
    expect(client.done).toBe(N);
    const d = L.kp.describe() as unknown as Described;
    const app = d.app;
    // accept4 succeeds once per connection; the calls that found the queue drained (EAGAIN) end each burst
    expect(app.calls.accept4 - (app.failed.accept4 ?? 0)).toBe(N);
    expect(app.failed.accept4).toBeGreaterThan(0);
    expect(app.failed.accept4).toBeLessThanOrEqual(app.calls.epoll_wait);
    expect(app.calls.epoll_ctl).toBe(N);
    expect(app.calls.read).toBe(N);
    expect(app.calls.writev).toBe(N);
    expect(app.calls.close).toBe(N);
    expect(app.failed.read).toBeUndefined();
    expect(app.failed.writev).toBeUndefined();
    expect(app.failed.close).toBeUndefined();
    // every call is a syscall event; and the thread switched only when it had slept
    const ev = L.kctx.stats.eventsByName();
    const total = Object.values(app.calls).reduce((a, b) => a + b, 0);
    expect(ev.syscall).toBe(total);
    expect(ev.context_switch).toBe(d.socket_calls.context_switches);
    expect(ev.context_switch).toBeLessThanOrEqual(d.socket_calls.sleeps);
    expect(ev.context_switch).toBeGreaterThan(0);
    // an skb per segment received and per segment sent (per-packet alloc)
    expect(ev.alloc).toBe(L.seg.in + d.tcp_endpoint.segments_sent);
    // napi with no nic: one own-ring interrupt per arrival
    expect(ev.interrupt).toBe(L.passes);
    // the application: one accept, one data record per connection; its answers all delivered
    expect(L.recFwd.in).toBe(2 * N);
    expect(L.recFwd.delivered).toBe(2 * N);
    expect(L.recBack.delivered).toBe(N); // write_close: writev and close in one record
    expect(L.recBack.dropped).toBe(0);
    // fds reused lowest first: nothing leaks, the server holds only TIME_WAITs
    expect(d.tcp_endpoint.open_fds).toBe(5); // 0-2, the listen socket, the epoll fd
    expect(d.tcp_endpoint.time_wait).toBe(N); // the server closed first (HTTP/1.0)
  });

  test('accounting closes both ways: every segment and record delivered or dropped with a reason', async () => {
    const { L } = await transactions('linux');
    expect(L.seg.delivered + L.seg.dropped).toBe(L.seg.in);
    expect(L.seg.dropped).toBe(0);
    expect(L.recFwd.delivered + L.recFwd.dropped).toBe(L.recFwd.in);
    expect(L.recBack.delivered + L.recBack.dropped).toBe(L.recBack.in);
    // what kernel-path originated back is what it sent, and each reached the client and was taken
    const d = L.kp.describe() as unknown as Described;
    expect(L.segBack.in).toBe(d.tcp_endpoint.segments_sent);
    expect(L.segBack.verdicts).toEqual({ consumed: L.segBack.in });
  });

  test('user-tcp: the same transactions with no system call and no context switch', async () => {
    const { client, L } = await transactions('user-tcp');
    expect(client.done).toBe(N);
    const ev = L.kctx.stats.eventsByName();
    expect(ev.syscall ?? 0).toBe(0);
    expect(ev.context_switch ?? 0).toBe(0);
    expect(ev.interrupt ?? 0).toBe(0);
    const app = (L.kp.describe() as unknown as Described).app;
    expect(app.calls.writev).toBe(N); // the calls are made, as library calls
    const cpu = L.kctx.stats.cpu.snapshot();
    expect(cpu.syscall).toBe(0);
    expect(cpu.irq).toBe(0);
    expect(cpu.protocol).toBeGreaterThan(0);
  });

  test('linux with the linux-3.10-xeon profile bills syscall and context switch costs to syscall', async () => {
    const { client, L } = await transactions('linux', 5, {}, 'linux-3.10-xeon');
    expect(client.done).toBe(5);
    const cpu = L.kctx.stats.cpu.snapshot();
    const ev = L.kctx.stats.eventsByName();
    const costs = L.kctx.costs;
    // at least the modelled costs of the calls and switches (the spin is calibrated, the work adds)
    const modelled = (ev.syscall * costs.ns.syscall + ev.context_switch * costs.ns.context_switch) / 1e9;
    expect(cpu.syscall).toBeGreaterThanOrEqual(modelled * 0.9);
  });
});

describe('kernel-path stack tcp: keep-alive', () => {
  test('HTTP/1.1: three requests on one connection are three reads and writevs; the client closes first', async () => {
    const client = new Client();
    const get = 'GET /index.html HTTP/1.1\r\nHost: 10.0.0.100\r\n\r\n';
    client.request = get;
    const L = webLoop('linux', {}, [client]);
    const [c] = client.open(1);
    await settle(L);
    const req = Buffer.from(get, 'latin1');
    for (let k = 0; k < 2; k++) {
      client.tcp.send(c, req, 0, req.length, client.now());
      await settle(L);
    }
    const text = Buffer.concat(client.got.get(c) ?? []).toString('latin1');
    expect(text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(3);
    expect(text.match(/Connection: keep-alive/g)).toHaveLength(3);
    client.tcp.close(c, client.now()); // the client's FIN: read returns 0, lighttpd ends the connection
    await settle(L);
    const d = L.kp.describe() as unknown as Described;
    expect(d.app.calls).toMatchObject({ accept4: 2, epoll_ctl: 2, read: 4, writev: 3, close: 1 });
    expect(d.app.eofs).toBe(1);
    expect(d.tcp_endpoint.open_fds).toBe(5);
    expect(d.tcp_endpoint.time_wait).toBe(0); // the client closed first: TIME_WAIT is the client's
    expect(L.web.connections).toBe(0);
  });
});

describe('kernel-path stack tcp: listener limits and resets', () => {
  test('a SYN flood past the SYN queue is dropped as syn_queue_full while established connections are served', async () => {
    const client = new Client();
    client.request = null; // handshakes first, requests after the flood
    const flood = new Client(ipFromString('10.0.0.66'));
    flood.deaf = true; // never answers a SYN-ACK: every SYN stays in SYN-RECEIVED
    // backlog 4: the SYN queue is roundup_pow_of_two(max(min(4, 1024), 8) + 1) = 16
    const L = webLoop('linux', { backlog: 4 }, [client, flood]);
    const conns = client.open(4);
    await settle(L);
    flood.open(40);
    await settle(L);
    expect(L.seg.drops).toEqual({ syn_queue_full: 40 - 16 });
    const req = Buffer.from(REQUEST, 'latin1');
    for (const c of conns) client.tcp.send(c, req, 0, req.length, client.now());
    await settle(L);
    expect(client.done).toBe(4);
    expect(L.seg.delivered + L.seg.dropped).toBe(L.seg.in);
    // a new connection is refused for as long as the flood holds the queue
    client.open(1);
    await settle(L);
    expect(L.seg.drops.syn_queue_full).toBe(40 - 16 + 1);
  });

  test('accept queue overflow: ACKs past the backlog are dropped as accept_queue_full, retried and served', async () => {
    const client = new Client();
    const L = webLoop('linux', { backlog: 4 }, [client]);
    client.open(10);
    await settle(L);
    expect(L.seg.drops.accept_queue_full).toBeGreaterThan(0);
    // the client retransmits its request (its RTO); the server's queue has room again each time
    for (let k = 0; k < 20 && client.done < 10; k++) {
      client.skewNs += 4e9;
      client.tcp.tick(client.now());
      await settle(L);
    }
    expect(client.done).toBe(10);
    const d = L.kp.describe() as unknown as Described;
    expect(d.tcp_endpoint.tcp_drops.accept_queue_full).toBe(L.seg.drops.accept_queue_full);
    expect(d.app.calls.accept4 - (d.app.failed.accept4 ?? 0)).toBe(10);
    expect(d.tcp_endpoint.accept_mismatch).toBe(0);
    expect(L.seg.delivered + L.seg.dropped).toBe(L.seg.in);
  });

  test('out of fds (max_connections 2): lighttpd stops watching the listen socket until a close, then serves the rest', async () => {
    const client = new Client();
    const L = webLoop('linux', { max_connections: 2 }, [client]);
    client.open(6);
    await settle(L);
    expect(client.done).toBe(6);
    const d = L.kp.describe() as unknown as Described & { app: { accepts_disabled: number } };
    expect(d.app.accepts_disabled).toBeGreaterThan(0);
    // each disabling is one EMFILE and two epoll_ctl(MOD): off, and on again after a close
    expect(d.app.failed.accept4).toBeGreaterThanOrEqual(d.app.accepts_disabled);
    expect(d.app.calls.epoll_ctl).toBe(6 + 2 * d.app.accepts_disabled);
    expect(d.tcp_endpoint.open_fds).toBe(5);
  });

  test("a peer's RST mid-request: read fails, the connection leaves epoll, the application closes its fd", async () => {
    const client = new Client();
    client.request = 'GET /index.ht'; // half a request line: the server waits for the rest
    const L = webLoop('linux', {}, [client]);
    const [c] = client.open(1);
    await settle(L);
    expect(L.web.connections).toBe(1);
    client.tcp.abort(c, client.now());
    await settle(L);
    const d = L.kp.describe() as unknown as Described;
    expect(L.seg.drops).toEqual({}); // the RST was taken (exactly at RCV.NXT)
    expect(d.tcp_endpoint.closed_under_application).toEqual({ reset: 1 });
    expect(d.app.failed).toEqual({ accept4: 1, read: 1 }); // the drained accept queue, ECONNRESET
    expect(d.app.eofs).toBe(1);
    expect(d.app.calls.epoll_ctl).toBe(2); // ADD at accept, DEL at the reset
    expect(d.app.calls.close).toBe(1);
    expect(L.web.connections).toBe(0);
    expect(d.tcp_endpoint.open_fds).toBe(5);
    expect(d.tcp_endpoint.connections).toBe(0);
    // the server goes on serving
    client.request = REQUEST;
    client.open(3);
    await settle(L);
    expect(client.done).toBe(3);
  });
});

describe('kernel-path stack tcp: settings', () => {
  test('bad values fail naming the key', () => {
    expect(() => new KernelPath('linux', { backlog: 0 })).toThrow(/backlog/);
    expect(() => new KernelPath('linux', { syscall: 'batch:8' })).toThrow(/settings\.syscall: batch:8/);
    expect(() => new KernelPath('linux', { delayed_ack: 'yes' })).toThrow(/delayed_ack/);
    expect(() => new KernelPath('linux', { max_tw_buckets: -1 })).toThrow(/max_tw_buckets/);
  });

  test('stack and the endpoint sizes are fixed while it runs; irq may change', () => {
    const kp = new KernelPath('linux', {});
    expect(() => kp.configure({ stack: 'full' })).toThrow(/settings\.stack/);
    expect(() => kp.configure({ backlog: 64 })).toThrow(/fixed while stack tcp runs/);
    expect(() => kp.configure({ irq: 'poll:32' })).not.toThrow();
  });

  test('in an open chain (no ctx.out) the first segment fails in one line', async () => {
    const kp = new KernelPath('linux', {});
    const client = new Client();
    client.open(1);
    const b = batchOf(client.out.splice(0));
    const ctx = ctxFor('linux');
    await expect(Promise.resolve().then(() => kp.process(b, ctx))).rejects.toThrow(
      'kernel-path: stack tcp needs a loop chain (loop: true): the context has no outbox (ctx.out)',
    );
  });

  test('delayed_ack false: the server acknowledges a request that gets no answer at once', async () => {
    const run = async (delayed: boolean) => {
      const client = new Client();
      client.request = 'GET /index.ht'; // unfinished: no response to carry the ACK
      const L = webLoop('linux', { delayed_ack: delayed }, [client]);
      client.open(1);
      await settle(L);
      return (L.kp.describe() as unknown as Described).tcp_endpoint.segments_sent;
    };
    expect(await run(true)).toBe(1); // the SYN-ACK; the request's ACK waits 40 ms
    expect(await run(false)).toBe(2); // the SYN-ACK and the request's ACK
  });

  test('the memory estimate counts the connection table, the socket buffers and the segment pool', () => {
    const uses = kernelPathStage.memoryBytes!('linux', { max_connections: 2048 });
    const keys = uses.map((u) => u.key);
    expect(keys).toEqual(['max_connections, max_tw_buckets, backlog', 'max_connections', 'stack']);
    const sockets = uses[1];
    expect(sockets.bytes).toBeGreaterThan(2048 * 16384);
    expect(kernelPathStage.memoryBytes!('kernel', {})).toEqual([]);
  });
});
