// The README's quick start on a fresh clone: `npm start` must install what is missing (npm ci,
// once, saying so), build and run the default chain, as a new user types it - and stop with a
// summary on Ctrl-C. The clone is of this repository's HEAD, into an empty directory.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

function npmStart(cwd: string, args: string[], interruptWhen?: RegExp): Promise<Run> {
  return new Promise((resolve) => {
    // its own process group, as a terminal's foreground job: Ctrl-C reaches npm and the chain
    const child = spawn('npm', ['start', ...args], { cwd, detached: true, env: { ...process.env, CI: '1' } });
    let out = '';
    let err = '';
    let sent = false;
    const maybeInterrupt = (): void => {
      if (interruptWhen && !sent && interruptWhen.test(err + out)) {
        sent = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    };
    child.stdout.on('data', (d) => ((out += d), maybeInterrupt()));
    child.stderr.on('data', (d) => ((err += d), maybeInterrupt()));
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

describe('quick start on a fresh clone', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vnflab-clone-'));
    const r = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git clone failed: ${r.stderr}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('npm start installs once, builds, runs the default chain and closes its accounting', async () => {
    const r = await npmStart(dir, ['--', '--duration', '2']);
    expect(r.err).toContain('vnflab: installing the npm dependencies first (npm ci, once)');
    expect(r.out).toMatch(/^chain default \(profile linux-3\.10-xeon\)/m);
    expect(r.out).toMatch(/-> accounting closes/);
    expect(r.code).toBe(0);
  }, 600_000);

  test('a second npm start does not install again, and Ctrl-C ends it with the summary', async () => {
    const r = await npmStart(dir, [], /^\[2s\] traffic-gen/m);
    expect(r.err).not.toContain('installing the npm dependencies');
    // the chain drained and printed its summary; npm itself ends as a Ctrl-C'd job does
    expect(r.out).toMatch(/^chain default \(profile linux-3\.10-xeon\)/m);
    expect(r.out).toMatch(/-> accounting closes/);
    expect(r.code === 0 || r.signal === 'SIGINT').toBe(true);
  }, 300_000);
});
