// SwarmStack.ledgers reads the ledgers the stages commit to Redis, in the form StatsLedger writes
// them now (drops, then a loop chain's originated and delivered) and the form before loop chains.
// The real-Swarm test closes its accounting from these; no Docker engine is needed here.

import { StageStats, StatsLedger, hopStreamKey, reasonCode } from '@vnflab/core';
import { SwarmStack } from '@vnflab/lab';

const PREFIX = 'vnflab:default:main';
/** A ledger's key as RedisBus.ledgerKey names it: kept with the hop the instance reads. */
const key = (hop: string, instance: string): string => `${hopStreamKey(PREFIX, hop)}:ledger:${instance}`;

/** A fake redis.call over a map of ledger keys to their `v` field. */
function fakeRedis(values: Record<string, string>): (args: string[]) => Promise<unknown> {
  return async ([cmd, key]) => {
    if (cmd === 'KEYS') return Object.keys(values);
    if (cmd === 'HGET') return values[key] ?? null;
    throw new Error(`unexpected ${cmd}`);
  };
}

test('ledgers: counts and drops of every instance, in both ledger forms', async () => {
  const s = new StageStats('nic', 'virtio');
  s.packetsIn = 120;
  s.packetsOut = 117;
  s.originated = 4;
  s.delivered = 3;
  s.drop(reasonCode('bus_full'), 3);
  const now = new StatsLedger(key('nic', 'nic-a1'), s).value(117, 120);
  const swarm = new SwarmStack({ root: '/nonexistent', stack: 'unused', env: {} });
  const ls = await swarm.ledgers(
    fakeRedis({
      [key('nic', 'nic-a1')]: now,
      [key('backends', 'backends-b2')]: '0 50 50 50 3200 3200 {}', // written before loop chains
      [key('lb', 'gone')]: '', // a key without a value is skipped
    }),
    PREFIX,
  );
  expect(ls).toEqual([
    { instance: 'nic-a1', produced: 117, consumed: 120, packets_in: 120, packets_out: 117, drops: { bus_full: 3 } },
    { instance: 'backends-b2', produced: 0, consumed: 50, packets_in: 50, packets_out: 50, drops: {} },
  ]);
});

test('ledgers: a value in no known form is an error naming the key', async () => {
  const swarm = new SwarmStack({ root: '/nonexistent', stack: 'unused', env: {} });
  await expect(swarm.ledgers(fakeRedis({ [key('nic', 'x')]: '1 2 three' }), PREFIX)).rejects.toThrow(
    `ledger ${key('nic', 'x')}: unexpected value "1 2 three"`,
  );
});
