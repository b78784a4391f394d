// The bus over a Unix socket (`--bus unix:///PATH`): the whole chain runs across processes on a
// redis-server reached only through its socket file, and the accounting closes.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestRedis } from './helpers/redis';
import { ServicesRun, finishedSummary, writeChain } from './helpers/services';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-unix-'));
const socket = join(dir, 'redis.sock');
let redis: TestRedis;

beforeAll(async () => {
  redis = await TestRedis.start(['--unixsocket', socket, '--unixsocketperm', '700']);
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('vnflab run --bus unix:///PATH: every stage talks to Redis through the socket and the accounting closes', async () => {
  const chain = join(dir, 'chain.json');
  const json = join(dir, 'summary.json');
  writeChain(chain, { traffic: { count: 20000 } });
  const run = new ServicesRun(['--bus', `unix://${socket}`, '--config', chain, '--json', json]);
  let clients = '';
  const watch = setInterval(() => {
    const l = redis.cli('CLIENT', 'LIST');
    if (l.includes('name=vnflab-')) clients = l;
  }, 200);
  await run.done;
  clearInterval(watch);
  const s = await finishedSummary(run, json);
  expect(s.sent).toBe(20000);
  expect(s.received + s.drops_total).toBe(s.sent);
  expect(s.accounting_closed).toBe(true);
  // the stages' connections came in on the socket, none over TCP
  const named = clients.split('\n').filter((l) => l.includes('name=vnflab-'));
  expect(named.length).toBeGreaterThan(0);
  for (const l of named) expect(l).toMatch(new RegExp(`addr=${socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:0`));
}, 120000);

test('a Unix socket URL that names a host is refused with exit 2 and the reason', async () => {
  const run = new ServicesRun(['--bus', 'unix://redis/redis.sock', '--count', '10']);
  const r = await run.done;
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--bus: .*three slashes/);
});
