// kernel-path as a TCP endpoint (stack tcp) under the web server: short HTTP/1.0 transactions
// from a real TCP client, the server's calls counted per transaction, both directions accounted,
// Linux against the user-space stack, listener overflow, a peer's reset.

import { Client, webLoop, settle } from './web-loop';

const N = 20;

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
    const d = L.kp.describe() as Record<string, any>;
    const app = d.app as { calls: Record<string, number>; failed: Record<string, number> };
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
    const d = L.kp.describe() as Record<string, any>;
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
    const app = (L.kp.describe() as Record<string, any>).app;
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
