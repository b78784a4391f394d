// The autoscaler's reading of a stage's backlog against a real redis-server: a consumer group's
// lag (entries not yet delivered) and pending (delivered, not acknowledged) on a hop, null while
// the stream or the group does not exist, and the count of entries past the group's position
// where Redis cannot report the lag (an undelivered entry deleted).

import IORedis from 'ioredis';
import { readGroupLag } from '@vnflab/controller';
import { TestRedis } from './helpers/redis';

let server: TestRedis;
let redis: IORedis;
const HOP = 'vnflab:test:main:hop:kernel-path';

beforeAll(async () => {
  server = await TestRedis.start();
  redis = new IORedis(server.url);
});

afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

test('no stream, then no group: null', async () => {
  expect(await readGroupLag(redis, HOP, 'kernel-path')).toBeNull();
  await redis.xadd(HOP, '*', 'b', 'x');
  expect(await readGroupLag(redis, HOP, 'kernel-path')).toBeNull();
});

test('lag counts what no consumer was handed; pending what is in hand', async () => {
  await redis.xgroup('CREATE', HOP, 'kernel-path', '0');
  for (let i = 0; i < 5; i++) await redis.xadd(HOP, '*', 'b', String(i));
  expect(await readGroupLag(redis, HOP, 'kernel-path')).toEqual({ lag: 6, pending: 0, consumers: 0 });
  await redis.xreadgroup('GROUP', 'kernel-path', 'kp-1', 'COUNT', 4, 'STREAMS', HOP, '>');
  expect(await readGroupLag(redis, HOP, 'kernel-path')).toEqual({ lag: 2, pending: 4, consumers: 1 });
});

test('where Redis cannot tell the lag (an undelivered entry deleted), the entries past the group are counted', async () => {
  const rest = (await redis.xrange(HOP, '-', '+')).slice(-2);
  await redis.xdel(HOP, rest[0][0]);
  const info = (await redis.call('XINFO', 'GROUPS', HOP)) as unknown[][];
  const lagField = info[0][info[0].indexOf('lag') + 1];
  expect(lagField).toBeNull(); // what makes the fallback necessary
  expect(await readGroupLag(redis, HOP, 'kernel-path')).toEqual({ lag: 1, pending: 4, consumers: 1 });
});
