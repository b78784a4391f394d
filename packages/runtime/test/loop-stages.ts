// Synthetic stages for the closed-loop tests, registered in a test registry: a client that sends
// N requests through a window and counts the replies, a relay that passes requests on and counts
// (and may drop) what comes back, and a reflector at the far end that answers each request with
// a new packet (ctx.out.back()) or turns the request around in place.

import { Type } from '@sinclair/typebox';
import {
  StageRegistry,
  monoNs,
  reasonCode,
  type Batch,
  type Element,
  type ElementContext,
  type Source,
} from '@vnflab/core';

export const REQUEST = 1;
export const REPLY = 2;
export const NOTICE = 3; // originated by a relay's tick
const FRAME = 64;
const RETURN_DROP = reasonCode('relay_return_drop');

function put(b: Batch, kind: number, seq: number): void {
  const i = b.append(FRAME);
  if (i < 0) throw new Error('test batch full');
  b.buf[b.offset(i)] = kind;
  b.setSeq(i, seq);
}

export class LoopClient implements Source {
  readonly stage = 'loop-client';
  readonly variant = 'window';
  sent = 0;
  replies = 0;
  notices = 0;
  private stopped = false;
  /** When it last sent or had an answer (0: not started yet, the give-up clock not running). */
  private lastProgress = 0;

  constructor(
    readonly requests: number,
    readonly window: number,
    readonly giveUpMs: number,
  ) {}

  get done(): boolean {
    if (this.stopped || this.replies >= this.requests) return true;
    // nothing sent or answered for a while: give the rest up
    return this.lastProgress > 0 && (monoNs() - this.lastProgress) / 1e6 > this.giveUpMs;
  }

  waitMs(): number {
    // nothing due until a response comes
    return this.sent < this.requests && this.sent - this.replies < this.window ? 0 : 1000;
  }

  fill(b: Batch, nowNs: number): number {
    const n = Math.min(b.capacity, this.requests - this.sent, this.window - (this.sent - this.replies));
    for (let k = 0; k < n; k++) put(b, REQUEST, this.sent + k);
    this.sent += n;
    if (n > 0) this.lastProgress = nowNs;
    return Math.max(0, n);
  }

  receive(b: Batch, nowNs: number): void {
    for (let i = 0; i < b.count; i++) {
      const kind = b.buf[b.offset(i)];
      if (kind === REPLY) {
        this.replies++;
        this.lastProgress = nowNs; // only answers count as progress, not a relay's notices
      } else if (kind === NOTICE) this.notices++;
    }
  }

  stop(): void {
    this.stopped = true;
  }

  describe(): Record<string, unknown> {
    return { replies: this.replies, notices: this.notices };
  }
}

export class LoopRelay implements Element {
  readonly stage = 'loop-relay';
  readonly variant = 'pass';
  forward = 0;
  returned = 0;
  ticked = 0;
  readonly tickIntervalMs?: number;
  readonly tick?: (nowNs: number, ctx: ElementContext) => void;

  constructor(
    readonly dropReturnEvery: number,
    tickMs: number,
  ) {
    if (tickMs > 0) {
      this.tickIntervalMs = tickMs;
      this.tick = (_now, ctx) => {
        put(ctx.out!.back(), NOTICE, this.ticked++);
      };
    }
  }

  process(b: Batch): void {
    this.forward += b.count;
  }

  processReturn(b: Batch): void {
    for (let i = 0; i < b.count; i++) {
      this.returned++;
      if (this.dropReturnEvery > 0 && this.returned % this.dropReturnEvery === 0) b.drop(i, RETURN_DROP);
    }
  }

  describe(): Record<string, unknown> {
    return { forward: this.forward, returned: this.returned, ticked: this.ticked };
  }
}

export class LoopReflector implements Element {
  readonly stage = 'loop-reflector';
  constructor(readonly variant: 'reply' | 'turn') {}

  process(b: Batch, ctx: ElementContext): void {
    for (let i = 0; i < b.count; i++) {
      if (this.variant === 'turn') {
        b.buf[b.offset(i)] = REPLY;
        continue;
      }
      put(ctx.out!.back(), REPLY, b.seq(i));
      b.deliver(i);
    }
  }
}

const none = Type.Object({}, { additionalProperties: false });

/** The three synthetic stages, for a chain client -> relay... -> reflector with loop: true. */
export function loopRegistry(): StageRegistry {
  return new StageRegistry()
    .register({
      stage: 'loop-client',
      role: 'source',
      variants: ['window'],
      description: 'sends requests, counts replies',
      defaultCategory: 'app',
      settings: Type.Object(
        {
          requests: Type.Integer({ minimum: 1 }),
          window: Type.Optional(Type.Integer({ minimum: 1 })),
          give_up_ms: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
      create: (_v, s) =>
        new LoopClient(s.requests as number, (s.window as number) ?? 256, (s.give_up_ms as number) ?? 300),
    })
    .register({
      stage: 'loop-relay',
      role: 'element',
      variants: ['pass'],
      description: 'passes requests on, counts and may drop what comes back',
      defaultCategory: 'app',
      reasons: ['relay_return_drop'],
      settings: Type.Object(
        {
          drop_return_every: Type.Optional(Type.Integer({ minimum: 0 })),
          tick_ms: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
      create: (_v, s) => new LoopRelay((s.drop_return_every as number) ?? 0, (s.tick_ms as number) ?? 0),
    })
    .register({
      stage: 'loop-reflector',
      role: 'element',
      variants: ['reply', 'turn'],
      description: 'answers each request (reply: a new packet back; turn: the request turned around)',
      defaultCategory: 'app',
      settings: none,
      create: (v) => new LoopReflector(v as 'reply' | 'turn'),
    });
}
