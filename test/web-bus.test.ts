// The web workload as services (`vnflab run --bus --config chains/web.yaml`): the client, nic,
// kernel-path (a TCP endpoint) and web-server each their own process on a real redis-server,
// SYNs and requests travelling forward and every answer coming back on the return hops. The
// client counts completed transactions; the accounting closes in both directions.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServicesSummary } from '@vnflab/cli';
import { TestRedis } from './helpers/redis';
import { ROOT } from './helpers/cli';
import { ServicesRun, finishedSummary } from './helpers/services';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-web-bus-'));
let redis: TestRedis;

beforeAll(async () => {
  redis = await TestRedis.start();
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('200 short HTTP transactions through four processes close their accounting both ways', async () => {
  const json = join(dir, 'summary.json');
  const run = new ServicesRun([
    '--bus',
    redis.url,
    '--config',
    join(ROOT, 'chains', 'web.yaml'),
    '--count',
    '200',
    '--connections',
    '32',
    '--json',
    json,
    '--quiet',
  ]);
  const r = await run.done;
  const s = await finishedSummary<
    ServicesSummary & {
      loop?: boolean;
      originated?: number;
      delivered?: number;
      stages: { stage: string; originated?: number; delivered?: number; details?: Record<string, unknown> }[];
    }
  >(run, json);
  expect(s.loop).toBe(true);
  expect(s.accounting_closed).toBe(true);
  // sent by the client + originated by the server side = delivered somewhere + dropped
  expect(s.sent + s.originated!).toBe(s.delivered! + s.drops_total);
  const kp = s.stages.find((x) => x.stage === 'kernel-path')!;
  const web = s.stages.find((x) => x.stage === 'web-server')!;
  // the endpoint answered (SYN-ACKs, ACKs, responses) and the web server wrote a response per request
  expect(kp.originated).toBeGreaterThan(0);
  expect(web.originated).toBeGreaterThanOrEqual(200);
  expect(r.stdout + r.stderr).toMatch(/\b200 transactions\b/);
}, 300_000);
