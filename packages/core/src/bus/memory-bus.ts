// The in-memory bus: a bounded FIFO of batch references per hop. Passing a reference is the
// cheapest possible hop, so embedded runs show the stages' costs, not the transport's.

import type { Batch } from '../batch/batch';
import type { Bus, BusConsumer, BusProducer, Delivery, OverflowPolicy } from './bus';

// Settled promises shared by every call that need not wait: the hop runs once per batch, and
// fewer objects per batch means fewer of them outlive a young-generation collection.
const SENT: Promise<boolean> = Promise.resolve(true);
const DONE: Promise<void> = Promise.resolve();

/**
 * One delivery object per (pooled) batch, made once: the memory bus never redelivers, so the
 * batch is the delivery's identity. A fresh object per send would wait in the queue long enough
 * for V8 to allocate it straight into the old generation, which then grows until a full GC.
 */
const deliveries = new WeakMap<Batch, Delivery>();
function deliveryOf(b: Batch): Delivery {
  let d = deliveries.get(b);
  if (!d) {
    d = { id: '', batch: b };
    deliveries.set(b, d);
  }
  return d;
}

class MemoryStream {
  readonly q: Delivery[] = [];
  head = 0;
  ended = false;
  private readers: (() => void)[] = [];
  private writers: (() => void)[] = [];

  constructor(
    readonly bound: number,
    readonly policy: OverflowPolicy,
  ) {}

  get length(): number {
    return this.q.length - this.head;
  }

  push(b: Batch): Promise<boolean> {
    if (this.length < this.bound) {
      this.enqueue(b);
      return SENT;
    }
    return this.pushWhenRoom(b);
  }

  private async pushWhenRoom(b: Batch): Promise<boolean> {
    while (this.length >= this.bound) {
      if (this.policy === 'drop') return false;
      await new Promise<void>((r) => this.writers.push(r));
    }
    this.enqueue(b);
    return true;
  }

  private enqueue(b: Batch): void {
    this.q.push(deliveryOf(b));
    this.wake(this.readers);
  }

  pop(timeoutMs: number): Promise<Delivery | null> {
    return this.length > 0 ? Promise.resolve(this.take()) : this.popWhenReady(timeoutMs);
  }

  private async popWhenReady(timeoutMs: number): Promise<Delivery | null> {
    while (this.length === 0) {
      if (this.ended) return null;
      let timer: NodeJS.Timeout | undefined;
      const woke = await new Promise<boolean>((r) => {
        this.readers.push(() => r(true));
        if (timeoutMs > 0 && Number.isFinite(timeoutMs)) timer = setTimeout(() => r(false), timeoutMs);
      });
      if (timer) clearTimeout(timer);
      if (!woke && this.length === 0) return null;
    }
    return this.take();
  }

  private take(): Delivery {
    const d = this.q[this.head++];
    if (this.head > 1024 && this.head * 2 > this.q.length) {
      this.q.splice(0, this.head);
      this.head = 0;
    }
    this.wake(this.writers);
    return d;
  }

  end(): void {
    this.ended = true;
    this.wake(this.readers);
  }

  private wake(list: (() => void)[]): void {
    if (list.length === 0) return;
    const all = list.splice(0, list.length);
    for (const f of all) f();
  }
}

export interface MemoryBusOptions {
  /** Batches a hop holds before the overflow policy applies. */
  bound?: number;
  policy?: OverflowPolicy;
}

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly streams = new Map<string, MemoryStream>();

  constructor(private readonly opts: MemoryBusOptions = {}) {}

  private stream(hop: string): MemoryStream {
    let s = this.streams.get(hop);
    if (!s) {
      s = new MemoryStream(this.opts.bound ?? 16, this.opts.policy ?? 'block');
      this.streams.set(hop, s);
    }
    return s;
  }

  producer(hop: string): BusProducer {
    const s = this.stream(hop);
    return { send: (b) => s.push(b), end: async () => s.end() };
  }

  consumer(hop: string): BusConsumer {
    const s = this.stream(hop);
    return {
      receive: (t) => s.pop(t),
      ack: () => DONE,
      get ended() {
        return s.ended && s.length === 0;
      },
      pending: () => s.length,
    };
  }

  async close(): Promise<void> {
    for (const s of this.streams.values()) s.end();
  }
}
