// A stage process loads what its stage needs and nothing else. Every module a process loads stays
// in its heap, and every full garbage collection marks all of it: with the controller's Docker
// client (dockerode, gRPC, ssh2), the lab's benchmarks and a copy of TypeBox per workspace, a
// stage's heap after a full collection was 42 MB and each one paused the stage 15-28 ms
// (bench/RESULTS.md, "Garbage collection in a stage process").

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from './helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'vnflab-modules-'));
const hook = join(dir, 'record-modules.js');
writeFileSync(
  hook,
  `process.on('exit', () => require('fs').writeFileSync(process.env.MODULES_OUT, JSON.stringify(Object.keys(require.cache))));\n`,
);

/** The modules a `vnflab serve` process had loaded once it was listening (then stopped with SIGTERM). */
async function modulesOfServe(stage: string): Promise<string[]> {
  const out = join(dir, `${stage}.json`);
  // no Redis on port 1: the stage starts, listens and keeps reconnecting, which is all this needs
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--stage', stage, '--port', '0', '--bus', 'redis://127.0.0.1:1'],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: `--require ${hook}`, MODULES_OUT: out },
    },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve ${stage} never listened:\n${log}`)), 60000);
    child.stdout.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return JSON.parse(readFileSync(out, 'utf8')) as string[];
}

describe('a stage process loads only what a stage needs', () => {
  test.each(['lb', 'nic'])(
    'vnflab serve --stage %s',
    async (stage) => {
      const mods = await modulesOfServe(stage);
      expect(mods.some((m) => m.includes(`/services/${stage}/`))).toBe(true);
      // the controller's Docker client and the lab's benchmarks belong to other commands
      expect(mods.filter((m) => /\/node_modules\/(dockerode|@grpc|ssh2|protobufjs)\//.test(m))).toEqual([]);
      expect(mods.filter((m) => m.includes('/packages/lab/'))).toEqual([]);
      expect(mods.filter((m) => m.includes('/services/controller/'))).toEqual([]);
      // one TypeBox for every workspace, not a copy each
      const typeboxRoots = new Set(
        mods.map((m) => m.match(/^(.*\/node_modules\/@sinclair\/typebox)\//)?.[1]).filter(Boolean),
      );
      expect([...typeboxRoots]).toHaveLength(1);
    },
    90000,
  );
});
