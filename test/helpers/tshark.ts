// tshark for the tests that let an independent implementation judge our frames: where it is on
// PATH, and a describe that skips (saying why) where it is not.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

function onPath(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return join(dir, cmd);
    } catch {
      /* not here */
    }
  }
  return null;
}

/** tshark's path, or null when it is not installed. */
export const TSHARK = onPath('tshark');

/** `describe` where tshark is installed; elsewhere `describe.skip`, with one line naming the test file. */
export function describeWithTshark(file: string): jest.Describe {
  if (!TSHARK) console.warn(`${file} skipped: tshark is not on PATH (install it with \`apt-get install tshark\`)`);
  return TSHARK ? describe : describe.skip;
}
