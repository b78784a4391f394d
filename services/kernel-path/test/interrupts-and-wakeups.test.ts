// Interrupts and context switches happen once, where the modelled system has them: napi takes the
// interrupts the NIC raised (Batch#interrupts), or its own ring's one per batch when no NIC
// counted any; the application thread switches only when it slept and is woken. (Behind the
// real nic stage: chain.test.ts.)

import { Batch } from '@vnflab/core';
import { KernelPath, SocketQueue, SyscallPath, SkBuff, parseSyscall } from '../src';
import { batchOf, ctxFor, events, frames, payloads, run } from './helpers';

function withNicInterrupts(n: number, interrupts: number): Batch {
  const b = batchOf(frames(n));
  b.interrupts = interrupts;
  return b;
}

describe('napi takes the NIC interrupts', () => {
  it('two interrupts for a 64-packet batch (moderation 1 per 32): two hops, each NAPI poll takes its 32', async () => {
    const el = new KernelPath('kernel');
    const ctx = ctxFor();
    const b = withNicInterrupts(64, 2);
    const input = payloads(b);
    await run(el, b, ctx);
    // 32 < the budget of 64 each time, so NAPI completes without an empty poll
    expect(events(ctx)).toEqual({ interrupt: 2, alloc: 64, copy: 128, syscall: 64, context_switch: 1 });
    expect(payloads(b)).toEqual(input);
    expect(el.describe()).toMatchObject({ interrupts: 2, rounds: 2, interrupt_source: '2 from the nic' });
  });

  it('exactly the count it is given, even more interrupts than packets (the rest poll an empty ring)', async () => {
    const el = new KernelPath('kernel');
    const ctx = ctxFor();
    await run(el, withNicInterrupts(2, 3), ctx);
    expect(events(ctx)).toMatchObject({ interrupt: 3, empty_poll: 1, syscall: 2 });
    expect(el.deliveredTotal).toBe(2);
  });

  it('no NIC count (0 with packets present): one interrupt of its own ring per batch, and describe() says so', async () => {
    const el = new KernelPath('kernel');
    const ctx = ctxFor();
    for (let k = 0; k < 3; k++) await run(el, batchOf(frames(10)), ctx);
    expect(events(ctx).interrupt).toBe(3);
    expect(el.describe().interrupt_source).toBe(
      '3 batches with no nic interrupt count: one own-ring interrupt per arrival',
    );
  });

  it('per-packet stays the naive model: one interrupt a packet whatever the NIC moderated', async () => {
    const el = new KernelPath('kernel', { irq: 'per-packet' });
    const ctx = ctxFor();
    await run(el, withNicInterrupts(64, 2), ctx);
    expect(events(ctx).interrupt).toBe(64);
  });
});

describe('context switches: only when the thread slept and is woken', () => {
  it('one packet a batch (a low rate): the thread sleeps after each and is woken for the next, one switch a packet', async () => {
    const el = new KernelPath('kernel');
    const ctx = ctxFor();
    for (let k = 0; k < 40; k++) await run(el, batchOf(frames(1)), ctx);
    const ev = events(ctx);
    expect(ev.syscall).toBe(40);
    expect(ev.context_switch / 40).toBe(1);
    expect(el.describe().wakeups).toBe(40);
  });

  it('full batches (load): at most one switch per batch, 1/64 a packet, while recvmsg stays one a packet', async () => {
    const el = new KernelPath('kernel');
    const ctx = ctxFor();
    for (let k = 0; k < 10; k++) await run(el, withNicInterrupts(64, 2), ctx);
    const ev = events(ctx);
    expect(ev.syscall).toBe(640);
    expect(ev.context_switch / 640).toBeLessThanOrEqual(1 / 64);
    expect(ev.context_switch).toBe(10);
  });

  it('a thread that still has packets queued returns without blocking, so it does not switch', () => {
    const ctx = ctxFor();
    const sys = new SyscallPath(parseSyscall('per-packet'));
    const q = new SocketQueue(80, 8);
    const out: SkBuff[] = [];
    const skb = (): SkBuff => new SkBuff(null, Buffer.alloc(1));
    q.enqueue(skb());
    sys.receiveQueues([q], out, 0, ctx.stats, ctx.costs); // asleep at start: woken
    q.enqueue(skb());
    sys.block([q]); // a packet is still queued: the next call returns it at once
    sys.receiveQueues([q], out, 1, ctx.stats, ctx.costs);
    expect([sys.calls, sys.wakeups, sys.blocks]).toEqual([2, 1, 0]);
    sys.block([q]); // drained: it sleeps, and the next packet wakes it
    q.enqueue(skb());
    sys.receiveQueues([q], out, 2, ctx.stats, ctx.costs);
    expect([sys.calls, sys.wakeups, sys.blocks]).toEqual([3, 2, 1]);
    expect(events(ctx)).toEqual({ syscall: 3, context_switch: 2 });
  });

  it('a run-to-completion application (syscall none) never sleeps', async () => {
    const el = new KernelPath('kernel', { syscall: 'none' });
    const ctx = ctxFor();
    for (let k = 0; k < 5; k++) await run(el, batchOf(frames(1)), ctx);
    expect(events(ctx).context_switch).toBeUndefined();
    expect(el.describe().wakeups).toBe(0);
  });
});
