// Each toggle changes exactly its own counters, on the real mechanisms (zero cost profile, so
// only the mechanisms run). 64 UDP packets to port 80, one batch, unless a test says otherwise.
// No NIC runs before the element here, so napi takes its own ring's interrupt, one per batch;
// and the application wakes once per batch (it sleeps between batches).

import { KernelPath } from '../src';
import { batchOf, ctxFor, events, frames, payloads, run } from './helpers';

const N = 64;

async function once(variant: string, settings: Record<string, unknown> = {}, n = N, profile = 'zero') {
  const el = new KernelPath(variant, settings);
  const ctx = ctxFor(variant, profile);
  const input = frames(n);
  const b = batchOf(input);
  await run(el, b, ctx);
  return { el, ctx, b, ev: events(ctx), input, out: payloads(b) };
}

describe('kernel preset', () => {
  it('NAPI: one interrupt and a full poll then an empty one; per packet an sk_buff, two copies and a recvmsg; one wake-up', async () => {
    const { ev, b, input, out, ctx } = await once('kernel');
    expect(ev).toEqual({ interrupt: 1, empty_poll: 1, alloc: N, copy: 2 * N, syscall: N, context_switch: 1 });
    expect(b.count).toBe(N);
    expect(out).toEqual(input);
    expect(ctx.stats.totalDrops()).toBe(0);
  });

  it('bills every mechanism its own CPU category and the transport to bus', async () => {
    // the interrupt's cost is the profile's irq_entry (the zero profile would make it nothing)
    const { ctx } = await once('kernel', {}, N, 'linux-3.10-xeon');
    const s = ctx.stats.cpu.snapshot();
    for (const c of ['irq', 'alloc', 'copy', 'syscall', 'protocol', 'packet_io', 'bus'] as const)
      expect(s[c]).toBeGreaterThan(0);
    expect(s.app).toBe(0);
    expect(s.vm_exit).toBe(0);
  });
});

describe('irq toggle', () => {
  it('poll: no interrupts; bursts until one poll finds the ring empty', async () => {
    const { ev, out, input } = await once('kernel', { irq: 'poll:32' });
    expect(ev).toEqual({ alloc: N, copy: 2 * N, syscall: N, context_switch: 1, empty_poll: 1 });
    expect(out).toEqual(input);
  });

  it('napi: one interrupt per round, polls of up to the budget, an empty poll only after a full one', async () => {
    expect((await once('kernel', { irq: 'napi:16' })).ev).toEqual({
      interrupt: 1,
      alloc: N,
      copy: 2 * N,
      syscall: N,
      context_switch: 1,
      empty_poll: 1,
    });
    expect((await once('kernel', { irq: 'napi:30' })).ev).toEqual({
      interrupt: 1,
      alloc: N,
      copy: 2 * N,
      syscall: N,
      context_switch: 1,
    });
  });

  it('per-packet interrupts wait on the event loop (process returns a promise); poll does not', async () => {
    const b1 = batchOf(frames(4));
    const r1 = new KernelPath('kernel', { irq: 'per-packet' }).process(b1, ctxFor());
    expect(r1).toBeInstanceOf(Promise);
    const r2 = new KernelPath('kernel', { irq: 'poll' }).process(batchOf(frames(4)), ctxFor());
    expect(r2).toBeUndefined();
    await r1;
  });

  it('per-packet: one real event-loop hop per packet (other macrotasks run between packets)', async () => {
    const el = new KernelPath('kernel', { irq: 'per-packet' });
    const ctx = ctxFor();
    let ticks = 0;
    let stop = false;
    const tick = (): void => {
      ticks++;
      if (!stop) setImmediate(tick);
    };
    setImmediate(tick);
    await run(el, batchOf(frames(20)), ctx);
    stop = true;
    expect(ticks).toBeGreaterThanOrEqual(19);
  });
});

describe('alloc toggle', () => {
  it('pool: no allocation in a steady run, and the pool never grows', async () => {
    const el = new KernelPath('kernel', { alloc: 'pool' });
    const ctx = ctxFor();
    for (let r = 0; r < 5; r++) await run(el, batchOf(frames(N)), ctx);
    const ev = events(ctx);
    expect(ev.alloc).toBeUndefined();
    expect(ev).toEqual({ interrupt: 5, empty_poll: 5, copy: 10 * N, syscall: 5 * N, context_switch: 5 });
    expect((el.describe().alloc as { grown: number }).grown).toBe(0);
  });

  it('per-packet: one fresh sk_buff per packet, every batch', async () => {
    const el = new KernelPath('kernel');
    const ctx = ctxFor();
    for (let r = 0; r < 3; r++) await run(el, batchOf(frames(N)), ctx);
    expect(events(ctx).alloc).toBe(3 * N);
    expect((el.describe().alloc as { allocated: number }).allocated).toBe(3 * N);
  });
});

describe('copies toggle', () => {
  it.each([
    ['none', 0],
    ['ring-kernel', N],
    ['kernel-user', N],
    ['both', 2 * N],
  ])('%s: %d copy events, the same bytes delivered', async (copies, n) => {
    const { ev, out, input } = await once('kernel', { copies });
    expect(ev.copy ?? 0).toBe(n);
    expect(ev).toMatchObject({ interrupt: 1, alloc: N, syscall: N, context_switch: 1 });
    expect(out).toEqual(input);
  });

  it('a dropped packet is copied into the kernel but never to the user', async () => {
    const { ev } = await once('kernel', { sockets: [81] });
    expect(ev.copy).toBe(N);
  });
});

describe('syscall toggle', () => {
  it('batch:8 is one recvmmsg per 8 packets of a socket; the thread still wakes once', async () => {
    const { ev } = await once('kernel', { syscall: 'batch:8' });
    expect(ev).toEqual({ interrupt: 1, empty_poll: 1, alloc: N, copy: 2 * N, syscall: N / 8, context_switch: 1 });
  });

  it('batch:n rounds up per socket', async () => {
    const el = new KernelPath('kernel', { syscall: 'batch:4', sockets: [80, 81] });
    const ctx = ctxFor();
    await run(el, batchOf([...frames(5, { dstPort: 80 }), ...frames(3, { dstPort: 81 })]), ctx);
    expect(events(ctx).syscall).toBe(2 + 1);
  });

  it('none: no system call and no context switch', async () => {
    const { ev, b } = await once('kernel', { syscall: 'none' });
    expect(ev).toEqual({ interrupt: 1, empty_poll: 1, alloc: N, copy: 2 * N });
    expect(b.count).toBe(N);
  });
});

describe('stack toggle', () => {
  it.each(['l3', 'none'])('%s changes no event counter', async (stack) => {
    const { ev, b } = await once('kernel', { stack });
    expect(ev).toEqual({ interrupt: 1, empty_poll: 1, alloc: N, copy: 2 * N, syscall: N, context_switch: 1 });
    expect(b.count).toBe(N);
  });
});

describe('bypass preset', () => {
  it('polls in bursts of 32 with a pool, no copy, no syscall: only the final empty poll is an event', async () => {
    const { ev, out, input, b } = await once('bypass');
    expect(ev).toEqual({ empty_poll: 1 });
    expect(b.count).toBe(N);
    expect(out).toEqual(input);
  });

  it('bypass plus a kernel toggle is that toggle alone', async () => {
    expect((await once('bypass', { syscall: 'per-packet' })).ev).toEqual({
      empty_poll: 1,
      syscall: N,
      context_switch: 1,
    });
  });
});

describe('rounds', () => {
  it('a batch larger than the ring is received in several rounds, and every ring buffer comes back', async () => {
    const el = new KernelPath('kernel', { ring_size: 8, irq: 'napi:4' });
    const ctx = ctxFor();
    const input = frames(40);
    const b = batchOf(input);
    await run(el, b, ctx);
    expect(payloads(b)).toEqual(input);
    const d = el.describe() as { rounds: number; rx: { mempool_in_use: number; refill_failures: number } };
    expect(d.rounds).toBe(Math.ceil(40 / 7)); // 7 descriptors posted in a ring of 8
    expect(events(ctx).interrupt).toBe(d.rounds);
    expect(d.rx.mempool_in_use).toBe(7);
    expect(d.rx.refill_failures).toBe(0);
  });
});
