// Memory copies, netmap's third cost: the ring buffer into a kernel buffer (so the ring slot can
// be reused and the stack owns the bytes), and the kernel buffer into the application's buffer
// (copy_to_user inside recvmsg). Each is a real Buffer.copy, counted. Off means the next owner
// reads the bytes where they are: the stack reads the ring buffer, the application reads the
// kernel or ring buffer (the batch slot then stands for that shared buffer).

import type { Batch, StageStats } from '@vnflab/core';
import type { SkBuff } from './alloc';
import { Ev } from './events';

/** Copies each packet from its ring buffer into the skb's own data buffer. */
export function copyRingToKernel(skbs: readonly SkBuff[], n: number, stats: StageStats): void {
  for (let k = 0; k < n; k++) {
    const skb = skbs[k];
    const data = skb.data as Buffer; // the allocator gave it one because this copy is on
    skb.buf.copy(data, 0, skb.off, skb.off + skb.len);
    skb.buf = data;
    skb.off = 0;
  }
  stats.event(Ev.copy, n);
}

/** Copies each delivered packet into the application's buffer: its slot in the outgoing batch. */
export function copyKernelToUser(delivered: readonly SkBuff[], n: number, batch: Batch, stats: StageStats): void {
  const user = batch.buf;
  for (let k = 0; k < n; k++) {
    const skb = delivered[k];
    skb.buf.copy(user, batch.offset(skb.idx), skb.off, skb.off + skb.len);
  }
  stats.event(Ev.copy, n);
}
