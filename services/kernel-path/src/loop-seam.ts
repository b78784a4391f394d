// What stack tcp needs from the closed-loop runtime (docs/architecture.md, "Closed-loop chains"):
// `ctx.out` to originate segments (back toward the client) and records (forward to the
// application). Every runner of the runtime sets it; a context without it (an open chain's, or
// one built by hand) cannot run stack tcp, and says so in one line.

import type { ElementContext, Outbox } from '@vnflab/core';

export function outboxOf(ctx: ElementContext): Outbox {
  const out = ctx.out;
  if (!out)
    throw new Error('kernel-path: stack tcp needs a loop chain (loop: true): the context has no outbox (ctx.out)');
  return out;
}
