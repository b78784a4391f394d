// The ledger value carries a loop chain's originated and delivered counts and reads back both
// its own form and the form written before them.

import { StageStats, StatsLedger, reasonCode, statsFromJson, statsToJson } from '@vnflab/core';

test('originated and delivered survive the ledger, a rollback and the /stats JSON', () => {
  const s = new StageStats('mid', 'v');
  s.packetsIn = 10;
  s.originated = 4;
  s.delivered = 3;
  s.drop(reasonCode('bus_full'), 2);
  const l = new StatsLedger('k', s);
  const v = l.value(5, 10);
  expect(v).toBe('5 10 10 0 0 0 {"bus_full":2} 4 3');

  const t = new StageStats('mid', 'v');
  new StatsLedger('k', t).seed({ v });
  expect([t.originated, t.delivered, t.totalDrops()]).toEqual([4, 3, 2]);
  // a ledger written before loop chains
  const u = new StageStats('mid', 'v');
  u.originated = 9;
  new StatsLedger('k', u).seed({ v: '5 10 10 0 0 0 {"bus_full":2}' });
  expect([u.originated, u.delivered, u.packetsIn]).toEqual([0, 0, 10]);

  l.committed(5, 10);
  s.originated = 7;
  s.delivered = 8;
  l.rollback();
  expect([s.originated, s.delivered]).toEqual([4, 3]);

  const back = statsFromJson(statsToJson(s));
  expect([back.originated, back.delivered]).toEqual([4, 3]);
});
