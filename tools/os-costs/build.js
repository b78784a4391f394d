#!/usr/bin/env node
// Builds the native OS-cost helper (os-costs.c) with this machine's `cc`, for
// `vnflab profiles --measure`. Run by the root package's `prepare` (npm ci, npm install), so a
// fresh clone has it. The helper is optional: with no compiler, or when the build fails, this
// prints one line and exits 0 so the install goes on. Plain Node with no dependencies.

const { existsSync, mkdirSync, statSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const source = join(__dirname, 'os-costs.c');
const out = join(__dirname, 'build', 'os-costs');

if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).error) {
  process.stderr.write(
    'os-costs: no C compiler (cc) on this machine; skipping the helper (vnflab profiles --measure needs it)\n',
  );
  process.exit(0);
}
mkdirSync(join(__dirname, 'build'), { recursive: true });
const r = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-o', out, source], { encoding: 'utf8' });
if (r.status !== 0) {
  const first = (r.stderr || '').split('\n').find((l) => l.includes('error')) || `cc exited ${r.status}`;
  process.stderr.write(
    `os-costs: the helper did not build (${first.trim()}); vnflab profiles --measure will not run\n`,
  );
}
