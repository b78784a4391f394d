// The heartbeat file the container healthcheck reads: touched while healthy, left to age while
// not; and the healthcheck command the compose file and the Dockerfiles run
// (scripts/generate-deploy.js, HEALTHCHECK_CMD) passes on the file it writes and fails once the
// file is older than its limit or missing.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeartbeatFile, heartbeatFromEnv } from '@vnflab/runtime';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const deploy = require('../../../scripts/generate-deploy.js') as { HEARTBEAT_FILE: string; HEALTHCHECK_CMD: string };

const dir = mkdtempSync(join(tmpdir(), 'vnflab-heartbeat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the healthcheck command as Docker does (CMD-SHELL: /bin/sh -c), on `file` instead of the image's path. */
function healthcheck(file: string): number | null {
  const cmd = deploy.HEALTHCHECK_CMD.split(deploy.HEARTBEAT_FILE).join(file);
  expect(cmd).not.toBe(deploy.HEALTHCHECK_CMD);
  return spawnSync('/bin/sh', ['-c', cmd]).status;
}

/** Moves the file's times `s` seconds into the past. */
function age(file: string, s: number): void {
  const then = new Date(Date.now() - s * 1000);
  utimesSync(file, then, then);
}

test('touched while healthy, left to age while not; the healthcheck follows', async () => {
  const file = join(dir, 'hb');
  let healthy = false;
  const hb = new HeartbeatFile(file, () => healthy, 60000);
  await hb.beat();
  expect(hb.beats).toBe(0);
  expect(healthcheck(file)).toBe(1); // no file yet: unhealthy

  healthy = true;
  await hb.beat();
  expect(hb.beats).toBe(1);
  expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(2000);
  expect(healthcheck(file)).toBe(0);

  age(file, 10);
  expect(healthcheck(file)).toBe(1); // older than the check's 6 s
  healthy = false;
  await hb.beat();
  expect(Date.now() - statSync(file).mtimeMs).toBeGreaterThan(9000); // not touched
  expect(healthcheck(file)).toBe(1);

  healthy = true;
  await hb.beat();
  expect(hb.beats).toBe(2);
  expect(healthcheck(file)).toBe(0);
});

test('an async health answer (the controller pings Docker) is awaited', async () => {
  const file = join(dir, 'hb-async');
  const hb = new HeartbeatFile(file, async () => Promise.resolve(true), 60000);
  await hb.beat();
  expect(hb.beats).toBe(1);
  expect(healthcheck(file)).toBe(0);
});

test('started from VNFLAB_HEARTBEAT_FILE only: it beats at once and then every interval', async () => {
  expect(heartbeatFromEnv(() => true, {})).toBeNull();
  const file = join(dir, 'hb-env');
  const hb = heartbeatFromEnv(() => true, { VNFLAB_HEARTBEAT_FILE: file })!;
  try {
    expect(hb.intervalMs).toBeLessThanOrEqual(2000); // well inside the check's 6 s
    for (let i = 0; i < 50 && hb.beats < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hb.beats).toBe(1);
    expect(healthcheck(file)).toBe(0);
  } finally {
    hb.stop();
  }
});
