// The system calls that move packets from the kernel to the application, netmap's second cost.
// `per-packet` is recvmsg: one mode switch and one wake-up of the application per packet.
// `batch:<n>` is recvmmsg: one call takes up to n packets from one socket. `none` is a run-to-
// completion application (bypass) that reads the queue itself. The mode switch and the context
// switch have no JavaScript analogue, so they are spent from the cost profile; the dequeueing is
// the real work of the call.

import type { Costs, StageStats } from '@vnflab/core';
import type { SkBuff } from './alloc';
import type { SyscallMode } from './settings';
import type { SocketQueue } from './socket-queues';
import { Ev } from './events';


export class SyscallPath {
  calls = 0;

  constructor(readonly mode: SyscallMode) {}

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

  private account(calls: number, stats: StageStats, costs: Costs): void {
    if (calls === 0) return;
    this.calls += calls;
    // each call is a kernel entry and a switch back to the woken application
    stats.event(Ev.syscall, calls);
    stats.event(Ev.context_switch, calls);
    costs.spend('syscall', calls);
    costs.spend('context_switch', calls);
  }
}
