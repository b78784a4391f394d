// A generator service that leaves the run open (stopped by SIGTERM) hands its successor its
// per-flow sequence numbers through Redis, so the next epoch continues each flow exactly and the
// backends count no gap between the two. The state is stored with the sent count it belongs to;
// a successor whose ledger says otherwise (the earlier generator crashed after an older save)
// ignores it and numbers past every earlier packet instead (Source.resume without a state).

import type { RedisBus, Source } from '@vnflab/core';

/** The Redis key of the run's saved source state. */
export function sourceStateKey(bus: RedisBus): string {
  return bus.key('source', 'state');
}

/** Saves the source's state with the count it was taken at (8 bytes, then the state). */
export async function saveSourceState(bus: RedisBus, source: Source): Promise<boolean> {
  const state = source.sequenceState?.();
  if (!state) return false;
  const head = Buffer.alloc(8);
  head.writeDoubleLE(source.sent, 0);
  await bus.cmd.set(sourceStateKey(bus), Buffer.concat([head, state]));
  return true;
}

/** The saved state if it was taken at exactly `sent` packets, else undefined. */
export async function loadSourceState(bus: RedisBus, sent: number): Promise<Buffer | undefined> {
  const v = await bus.cmd.getBuffer(sourceStateKey(bus));
  if (!v || v.length < 8 || v.readDoubleLE(0) !== sent) return undefined;
  return v.subarray(8);
}
