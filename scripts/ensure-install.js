#!/usr/bin/env node
// The quick start's first step on a fresh clone: `npm start` and `npm test` install the npm
// dependencies themselves (npm ci, once) when node_modules is missing or older than the lockfile.
// Plain Node with no dependencies, since it runs before any are installed.

const { existsSync, statSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  process.stderr.write('vnflab: installing the npm dependencies first (npm ci, once)\n');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(
      `vnflab: npm ci failed (exit ${r.status ?? r.signal}); fix the error above and run it again\n`,
    );
    process.exit(1);
  }
}
