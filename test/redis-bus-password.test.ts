// A password-protected Redis under `vnflab run --bus`: the password comes from
// VNFLAB_BUS_PASSWORD, so it is on no command line (the supervisor's included), and a password
// typed in --bus is used but called out.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestRedis } from './helpers/redis';
import { ServicesRun, finishedSummary, writeChain } from './helpers/services';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-pw-'));
const password = `pw-${process.pid}-${Date.now()}`;
let redis: TestRedis;

beforeAll(async () => {
  redis = await TestRedis.start(['--requirepass', password]);
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function cmdlines(pids: number[]): string {
  return pids.map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')).join('\n');
}

test('VNFLAB_BUS_PASSWORD: the run authenticates, closes its accounting, and no process shows the password', async () => {
  const chain = join(dir, 'chain.json');
  const json = join(dir, 'summary.json');
  writeChain(chain, { traffic: { count: 5000, rate: 2000 } });
  const run = new ServicesRun(['--bus', redis.url, '--config', chain, '--json', json], {
    VNFLAB_BUS_PASSWORD: password,
  });
  let seen = '';
  const watch = setInterval(() => {
    try {
      seen += cmdlines([run.child.pid!, ...[...run.instances.values()].map((i) => i.pid)]);
    } catch {
      /* a process that has just exited */
    }
  }, 200);
  const r = await run.done;
  clearInterval(watch);
  const s = await finishedSummary(run, json);
  expect(s.sent).toBe(5000);
  expect(s.received + s.drops_total).toBe(s.sent);
  expect(seen).toContain('serve --stage'); // the watch read the children's command lines
  expect(seen).not.toContain(password);
  expect(r.stderr).not.toContain('password is on the command line');
}, 120000);

test('a password typed in --bus works, and the run says it is visible to every user', async () => {
  const chain = join(dir, 'chain2.json');
  writeChain(chain, { traffic: { count: 1000 } });
  const url = `redis://:${password}@127.0.0.1:${redis.port}`;
  const r = await new ServicesRun(['--bus', url, '--config', chain]).done;
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(/--bus: this password is on the command line.*VNFLAB_BUS_PASSWORD/);
}, 120000);
