// One stage as a service (`vnflab serve`): clear errors for bad settings, /healthz and /readyz
// across a Redis that is not there yet, the token on /control, and a SIGTERM drain that exits 0
// with its final stats logged.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, vnflab } from './helpers/cli';
import { freePort, waitFor } from './helpers/ports';
import { TestRedis } from './helpers/redis';
import { defaultStages, readyz } from './helpers/services';

function serve(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, out: () => out, exit };
}

async function healthz(port: number): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).status;
  } catch {
    return undefined;
  }
}

const running: ChildProcess[] = [];
afterAll(() => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('vnflab serve', () => {
  test('bad settings stop it at start with one line naming the variable or flag (exit 2)', () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--stage', 'backends'], { VNFLAB_PORT: 'eighty' }, /VNFLAB_PORT: "eighty" is not a number/],
      [['--stage', 'backends', '--port', '70000'], {}, /--port: 70000 is above the maximum 65535/],
      [['--stage', 'nope'], {}, /--stage: "nope" is not a stage of this chain/],
      [
        ['--stage', 'backends', '--bus', 'http://localhost:6379'],
        {},
        /--bus: "http:\/\/localhost:6379" is not a redis:\/\/ URL/,
      ],
      [
        [],
        { VNFLAB_STAGE: 'backends', VNFLAB_CLAIM_IDLE_MS: '-5' },
        /VNFLAB_CLAIM_IDLE_MS: "-5" must be a whole number/,
      ],
      [
        ['--stage', 'backends'],
        { VNFLAB_SETTINGS: '{"verify_checksum": true}' },
        /stages\[\d+\]\.settings\.verify_checksum: unknown key/,
      ],
      [['--stage', 'backends', '--replica', '1'], {}, /--replica: 1 is above the maximum 0/],
    ];
    for (const [args, env, want] of cases) {
      const r = vnflab(['serve', ...args], { env });
      expect({ args, env, status: r.status }).toEqual({ args, env, status: 2 });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(want);
    }
  });

  test('VNFLAB_NOT_IN_CHAIN=idle: a stage the chain file lacks logs it once, beats its heartbeat, exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnflab-idle-'));
    const heartbeat = join(dir, 'heartbeat');
    try {
      const web = { VNFLAB_CONFIG: join(ROOT, 'chains/web.yaml') };
      // without it (and for a stage no manifest names, or a value it does not know) a usage error
      for (const [args, env, want] of [
        [['--stage', 'lb'], web, /--stage: "lb" is not a stage of this chain \(.*web\.yaml has: http-client/],
        [['--stage', 'nope'], { ...web, VNFLAB_NOT_IN_CHAIN: 'idle' }, /--stage: "nope" is not a stage of this chain/],
        [
          ['--stage', 'lb'],
          { ...web, VNFLAB_NOT_IN_CHAIN: 'sleep' },
          /VNFLAB_NOT_IN_CHAIN: "sleep" must be idle or error/,
        ],
      ] as [string[], Record<string, string>, RegExp][]) {
        const r = vnflab(['serve', ...args], { env });
        expect({ args, status: r.status, stderr: r.stderr }).toMatchObject({
          args,
          status: 2,
          stderr: expect.stringMatching(want),
        });
      }
      const s = serve(['--stage', 'lb'], { ...web, VNFLAB_NOT_IN_CHAIN: 'idle', VNFLAB_HEARTBEAT_FILE: heartbeat });
      await waitFor('the heartbeat file', async () => (existsSync(heartbeat) ? true : undefined), 30000, 100);
      const first = statSync(heartbeat).mtimeMs;
      await waitFor('a second beat', async () => (statSync(heartbeat).mtimeMs > first ? true : undefined), 5000, 100);
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
      const lines = s.out().trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(JSON.parse(lines[0])).toMatchObject({
        stage: 'lb',
        chain: 'web',
        msg: expect.stringMatching(/^idle: chain "web" has no stage lb/),
      });
      expect(JSON.parse(lines[1])).toMatchObject({ stage: 'lb', signal: 'SIGTERM', msg: 'idle: stopped' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  test('alive before Redis is there, ready only once it is; SIGTERM drains and exits 0', async () => {
    const redisPort = await freePort();
    const port = await freePort();
    const sink = defaultStages().slice(-1)[0].name;
    const s = serve([
      '--stage',
      sink,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--bus',
      `redis://127.0.0.1:${redisPort}`,
      '--run',
      't1',
    ]);
    running.push(s.child);
    await waitFor('healthz', async () => ((await healthz(port)) === 200 ? true : undefined));
    expect(await readyz(port)).toBe(503);
    const body = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { reason: string };
    expect(body.reason).toMatch(/not connected to redis/);
    // Redis appears on that port: the service connects by itself
    const redis = await TestRedis.onPort(redisPort);
    try {
      await waitFor('readyz 200', async () => ((await readyz(port)) === 200 ? true : undefined), 20000, 100);
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
      const final = s
        .out()
        .split('\n')
        .find((l) => l.includes('"final stats"'));
      expect(final).toBeDefined();
      expect(JSON.parse(final!).final_stats.service.stage).toBe('backends');
    } finally {
      await redis.stop();
    }
  }, 60000);

  test('/control needs the token; bad requests are refused with the reason; good ones change settings', async () => {
    const redis = await TestRedis.start();
    const port = await freePort();
    const stages = defaultStages();
    // a stage with run-time settings if the chain has one (lb: mode), else the backends (none)
    const lb = stages.find((x) => x.stage === 'lb');
    const target = lb?.name ?? stages[stages.length - 1].name;
    const token = 'test-token-123456';
    const s = serve(
      ['--stage', target, '--port', String(port), '--host', '127.0.0.1', '--bus', redis.url, '--run', 't2'],
      { VNFLAB_CONTROL_TOKEN: token },
    );
    running.push(s.child);
    try {
      await waitFor('ready', async () => ((await readyz(port)) === 200 ? true : undefined));
      const post = (body: unknown, auth?: string): Promise<Response> =>
        fetch(`http://127.0.0.1:${port}/control`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
          body: JSON.stringify(body),
        });
      const good = lb ? { settings: { mode: 'ipip' } } : { settings: {} };
      expect((await post(good)).status).toBe(401);
      expect((await post(good, 'Bearer wrong-token-000000')).status).toBe(401);
      expect((await post(good, `Basic ${token}`)).status).toBe(401);
      const extra = await post({ ...good, also: 1 }, `Bearer ${token}`);
      expect(extra.status).toBe(400);
      const badKey = await post({ settings: { no_such_setting: 1 } }, `Bearer ${token}`);
      expect(badKey.status).toBe(lb ? 400 : 409);
      const ok = await post(good, `Bearer ${token}`);
      if (lb) {
        expect(ok.status).toBe(200);
        const j = (await ok.json()) as { details: { mode: string } };
        expect(j.details.mode).toBe('ipip');
        const st = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as { details: { mode: string } };
        expect(st.details.mode).toBe('ipip');
      } else {
        expect(ok.status).toBe(409);
      }
      // metrics carry the bus counters next to the stage's
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/vnflab_bus_connected\{stage="[a-z-]+",variant="[^"]+"\} 1/);
    } finally {
      s.child.kill('SIGTERM');
      await s.exit;
      await redis.stop();
    }
  }, 60000);

  test('/control is off without VNFLAB_CONTROL_TOKEN', async () => {
    const redis = await TestRedis.start();
    const port = await freePort();
    const s = serve(
      [
        '--stage',
        defaultStages().slice(-1)[0].name,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--bus',
        redis.url,
        '--run',
        't3',
      ],
      { VNFLAB_CONTROL_TOKEN: '' },
    );
    running.push(s.child);
    try {
      await waitFor('healthz', async () => ((await healthz(port)) === 200 ? true : undefined));
      const r = await fetch(`http://127.0.0.1:${port}/control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer anything-at-all' },
        body: '{"settings":{}}',
      });
      expect(r.status).toBe(403);
    } finally {
      s.child.kill('SIGTERM');
      await s.exit;
      await redis.stop();
    }
  }, 60000);
});
