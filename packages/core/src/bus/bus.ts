// The bus between stages: one stream per hop. The in-memory bus and the Redis Streams bus
// implement the same interface, so stage code is the same embedded and as services.

import type { Batch } from '../batch/batch';

/** What a producer does when its stream is at its bound. */
export type OverflowPolicy = 'block' | 'drop';

/** Why a producer refused a batch: the hop was at its bound, or Redis was out of memory. */
export type BusRefusal = 'bus_full' | 'bus_oom';

export interface Delivery {
  /** Bus-assigned id (stream entry id for Redis). */
  readonly id: string;
  readonly batch: Batch;
}

export interface BusProducer {
  /**
   * Hands a batch downstream. Resolves true once the bus holds it, false when the stream was
   * full and the policy is `drop`, or Redis was out of memory (the caller counts the packets as
   * dropped, reason `lastRefusal`: bus_full when absent).
   * The bus must not keep a reference to `batch` after resolving unless it owns it (memory bus).
   * `refused`, when given, counts a refusal at the moment the bus decides it; the bus then also
   * acknowledges the input the batch came from, so the caller neither counts nor acknowledges it
   * again (the memory bus refuses at once and never calls it).
   */
  send(batch: Batch, refused?: (reason: BusRefusal) => void): Promise<boolean>;
  /** Why the last send that resolved false refused its batch (the drop reason to count). */
  readonly lastRefusal?: BusRefusal;
  /** Tells consumers nothing more will come on this stream. */
  end(): Promise<void>;
}

export interface BusConsumer {
  /** Next batch, or null when the stream has ended and is empty (or on timeout). */
  receive(timeoutMs: number): Promise<Delivery | null>;
  /** Acknowledge after the batch's output has been handed downstream (at-least-once). */
  ack(d: Delivery): Promise<void>;
  /** True once the producer ended the stream and everything has been received. */
  readonly ended: boolean;
  /** Batches waiting (for the bus_pending gauge). */
  pending(): number;
}

export interface Bus {
  readonly kind: 'memory' | 'redis';
  producer(hop: string): BusProducer;
  consumer(hop: string, group: string, name: string): BusConsumer;
  close(): Promise<void>;
}
