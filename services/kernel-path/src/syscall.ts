// The system calls that move packets from the kernel to the application, netmap's second cost,
// and the receiving thread's sleep and wake-up.
//
// `per-packet` is recvmsg: one call (one mode switch) per packet. `batch:<n>` is recvmmsg: one
// call takes up to n packets from one socket. `none` is a run-to-completion application (bypass)
// that reads the queue itself and never sleeps.
//
// A context switch happens only when the thread blocked and is woken. The thread drains its
// sockets; a receive call that then finds the queue empty sleeps. When packets arrive for a
// sleeping thread the kernel wakes it: one context switch. A thread that still has packets
// queued returns from its call without blocking and does not switch. The thread is the next
// stage, which takes the packets when this stage hands the batch on, so it blocks at the end of
// a batch; within one batch it stays awake, as a burst arrives back to back, faster than the
// woken thread gets to run (services/nic/src/rx-path.ts makes the same assumption). Under load
// (full batches) that is one switch per batch; at a low rate (one packet a batch) one a packet.
//
// The mode switch and the context switch have no JavaScript analogue, so they are spent from the
// cost profile (`syscall` per call, `context_switch` per wake-up); the dequeueing is the real
// work of the call.

import type { Costs, StageStats } from '@vnflab/core';
import type { SkBuff } from './alloc';
import type { SyscallMode } from './settings';
import type { SocketQueue } from './socket-queues';
import { Ev } from './events';

export class SyscallPath {
  calls = 0;
  /** Wake-ups of the blocked thread (each one context switch). */
  wakeups = 0;
  /** Times the thread found its queues empty and slept. */
  blocks = 0;
  /** The receiving thread sleeps in a receive call until packets arrive (it starts idle). */
  private asleep: boolean;

  constructor(readonly mode: SyscallMode) {
    this.asleep = mode.kind !== 'none';
  }

  /** System calls needed to receive `n` packets from one queue. */
  callsFor(n: number): number {
    if (n === 0) return 0;
    switch (this.mode.kind) {
      case 'per-packet':
        return n;
      case 'batch':
        return Math.ceil(n / this.mode.n);
      case 'none':
        return 0;
    }
  }

  /** Receives everything queued on the sockets into `out` from `at`; returns the new end. */
  receiveQueues(queues: readonly SocketQueue[], out: SkBuff[], at: number, stats: StageStats, costs: Costs): number {
    let calls = 0;
    for (const q of queues) {
      calls += this.callsFor(q.length);
      for (let skb = q.dequeue(); skb !== null; skb = q.dequeue()) out[at++] = skb;
    }
    this.account(calls, stats, costs);
    return at;
  }

  /** Receives `n` packets waiting on one raw socket (stack l3 or none): they stay in `list`. */
  receiveList(n: number, stats: StageStats, costs: Costs): void {
    this.account(this.callsFor(n), stats, costs);
  }

  /**
   * The batch is handed on: a thread with nothing left queued makes one more receive call, finds
   * the queue empty and sleeps (that call returns the next packet once woken, so it is counted
   * with that packet, not here).
   */
  block(queues: readonly SocketQueue[]): void {
    if (this.asleep || this.mode.kind === 'none') return;
    for (const q of queues) if (q.length > 0) return;
    this.asleep = true;
    this.blocks++;
  }

  private account(calls: number, stats: StageStats, costs: Costs): void {
    if (calls === 0) return;
    this.calls += calls;
    stats.event(Ev.syscall, calls);
    costs.spend('syscall', calls);
    if (this.asleep) {
      // packets for a sleeping thread: the kernel wakes it, the scheduler switches to it
      this.asleep = false;
      this.wakeups++;
      stats.event(Ev.context_switch, 1);
      costs.spend('context_switch', 1);
    }
  }
}
