// Every way a stage process starts gives Node the same flags (STAGE_NODE_FLAGS): `vnflab run
// --bus` spawns its children with them, and the images' ENTRYPOINT carries them. Without
// `--single-threaded-gc` a stage's collections wait for V8's helper threads, which on a small
// machine wait for a core (bench/RESULTS.md, "Garbage collection in a stage process").

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceChild, STAGE_NODE_FLAGS } from '@vnflab/runtime';
import { BIN, ROOT } from './helpers/cli';

describe('stage processes run with STAGE_NODE_FLAGS', () => {
  test('a child of `vnflab run --bus` has them on its command line', async () => {
    // no Redis on port 1: the stage starts, listens and keeps reconnecting, which is all this needs
    const child = new ServiceChild(
      BIN,
      'nic',
      1,
      0,
      ['--stage', 'nic', '--port', '0'],
      {},
      {
        VNFLAB_BUS: 'redis://127.0.0.1:1',
      },
    );
    try {
      await child.start();
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      expect(argv.slice(1, 1 + STAGE_NODE_FLAGS.length)).toEqual([...STAGE_NODE_FLAGS]);
      expect(argv).toContain('serve');
    } finally {
      await child.stop(10000);
    }
  }, 90000);

  test.each(['Dockerfile', 'infra/docker/Dockerfile.offline'])('%s starts node with them', (file) => {
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(ROOT, file), 'utf8'));
    expect(entry).not.toBeNull();
    const argv = JSON.parse(entry![1]) as string[];
    expect(argv.slice(0, 1 + STAGE_NODE_FLAGS.length)).toEqual(['node', ...STAGE_NODE_FLAGS]);
  });
});
