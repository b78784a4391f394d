// chains/firewall.yaml with every stage its own process on a real redis-server (vnflab run
// --bus): the firewall's drops cross the bus only as counts, and the accounting still closes.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestRedis } from '../../../test/helpers/redis';
import { ServicesRun } from '../../../test/helpers/services';

const CHAIN = join(__dirname, '..', '..', '..', 'chains', 'firewall.yaml');

let redis: TestRedis;
beforeAll(async () => {
  redis = await TestRedis.start();
});
afterAll(async () => {
  await redis?.stop();
});

test('over Redis Streams: sent == received + acl_deny, the firewall a process of its own', async () => {
  const json = join(mkdtempSync(join(tmpdir(), 'vnflab-fw-')), 'summary.json');
  const run = new ServicesRun([
    '--bus',
    redis.url,
    '--config',
    CHAIN,
    '--count',
    '8000',
    '--rate',
    '8000',
    '--profile',
    'zero',
    '--json',
    json,
    '--quiet',
  ]);
  await run.started('firewall');
  const r = await run.done;
  expect(r.status).toBe(0);
  const s = JSON.parse(readFileSync(json, 'utf8')) as {
    sent: number;
    received: number;
    drops: Record<string, Record<string, number>>;
    accounting_closed: boolean;
  };
  expect(s.sent).toBe(8000);
  expect(s.accounting_closed).toBe(true);
  expect(Object.keys(s.drops)).toEqual(['firewall']);
  const denied = s.drops.firewall.acl_deny;
  expect(s.received + denied).toBe(8000);
  // 128 of the 1,024 uniformly chosen flows are denied
  expect(denied / s.sent).toBeGreaterThan(0.08);
  expect(denied / s.sent).toBeLessThan(0.17);
}, 120000);
