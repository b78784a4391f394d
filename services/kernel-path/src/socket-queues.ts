// Socket demultiplexing and per-socket receive queues. The stack looks the destination port up
// (UDP's unconnected-socket lookup) and queues the packet on that socket; each queue is bounded
// like SO_RCVBUF, and a full one drops (Linux counts it as RcvbufErrors). The application drains
// the queues through the syscall mechanism. Linux bounds bytes of truesize; we bound packets,
// which is the same thing for one packet size and easier to reason about.

import { reasonCode } from '@vnflab/core';
import type { SkBuff } from './alloc';

export const NO_SOCKET = reasonCode('no_socket');
export const SOCKET_QUEUE_FULL = reasonCode('socket_queue_full');

/** A bounded FIFO of skbs: a fixed ring of references, no allocation per packet. */
export class SocketQueue {
  private readonly slots: (SkBuff | null)[];
  private head = 0;
  length = 0;
  drops = 0;
  enqueued = 0;

  constructor(
    readonly port: number,
    readonly bound: number,
  ) {
    this.slots = new Array<SkBuff | null>(bound).fill(null);
  }

  /** False (and a drop counted) when the queue is full. */
  enqueue(skb: SkBuff): boolean {
    if (this.length === this.bound) {
      this.drops++;
      return false;
    }
    let t = this.head + this.length;
    if (t >= this.bound) t -= this.bound;
    this.slots[t] = skb;
    this.length++;
    this.enqueued++;
    return true;
  }

  dequeue(): SkBuff | null {
    if (this.length === 0) return null;
    const skb = this.slots[this.head];
    this.slots[this.head] = null;
    this.head = this.head + 1 === this.bound ? 0 : this.head + 1;
    this.length--;
    return skb;
  }
}

export class SocketTable {
  readonly queues: SocketQueue[];
  /** Destination port -> socket index, -1 where nothing listens: one array read per packet. */
  private readonly byPort = new Int16Array(65536).fill(-1);
  noSocket = 0;

  constructor(ports: readonly number[], bound: number) {
    this.queues = ports.map((p, i) => {
      this.byPort[p] = i;
      return new SocketQueue(p, bound);
    });
  }

  /** Queues the packet on the socket bound to `port`; returns 0 or a drop reason. */
  deliver(skb: SkBuff, port: number): number {
    const s = this.byPort[port];
    if (s < 0) {
      this.noSocket++;
      return NO_SOCKET;
    }
    if (!this.queues[s].enqueue(skb)) return SOCKET_QUEUE_FULL;
    skb.sock = s;
    return 0;
  }

  describe(): Record<string, unknown> {
    return {
      no_socket: this.noSocket,
      sockets: this.queues.map((q) => ({
        port: q.port,
        bound: q.bound,
        queued: q.length,
        enqueued: q.enqueued,
        drops: q.drops,
      })),
    };
  }
}
