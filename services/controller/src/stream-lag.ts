// A stage's backlog on Redis: its consumer group's lag on the hop into it (the stream
// `{<prefix>:hop:<stage>}`, group `<stage>`; packages/core/src/bus/redis-bus.ts names them) —
// batches produced onto the hop that no replica has been handed yet. XINFO GROUPS reports it
// (Redis 7); where it cannot (an older Redis, or entries deleted past the group's position) the
// entries after the group's last-delivered id are counted (a hop holds at most bus.bound).

import type IORedis from 'ioredis';

export interface GroupLag {
  /** Batches on the hop not yet delivered to any consumer of the group. */
  lag: number;
  /** Batches delivered and not yet acknowledged (in the replicas' hands). */
  pending: number;
  consumers: number;
}

/** XINFO GROUPS' flat [name, value, ...] reply as an object. */
function pairs(row: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i + 1 < row.length; i += 2) o[String(row[i])] = row[i + 1];
  return o;
}

/** The group's lag on `stream`, or null while the stream or the group does not exist yet. */
export async function readGroupLag(redis: IORedis, stream: string, group: string): Promise<GroupLag | null> {
  let rows: unknown[][];
  try {
    rows = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][];
  } catch (e) {
    if (/no such key/i.test((e as Error).message)) return null;
    throw e;
  }
  const g = rows.map(pairs).find((r) => String(r.name) === group);
  if (!g) return null;
  let lag = typeof g.lag === 'number' ? g.lag : null;
  if (lag === null) {
    const after = (await redis.xrange(stream, `(${String(g['last-delivered-id'])}`, '+')) as unknown[];
    lag = after.length;
  }
  return { lag, pending: Number(g.pending), consumers: Number(g.consumers) };
}
