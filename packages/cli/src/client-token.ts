// The control token a client command sends (swap, lb, compare, traffic): from VNFLAB_CONTROL_TOKEN
// or from a file (--token-file), never from the command line, where every user of the machine can
// read it (ps, /proc/PID/cmdline, shell history).

import { readFileSync } from 'node:fs';
import { UsageError } from '@vnflab/runtime';

/** The options every client command declares: `--token` only to refuse it with the way out. */
export const TOKEN_OPTIONS = {
  token: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

/** The token from --token-file or VNFLAB_CONTROL_TOKEN; undefined when neither gives one. */
export function clientToken(f: { token?: string; 'token-file'?: string }): string | undefined {
  if (f.token !== undefined)
    throw new UsageError(
      '--token: a secret on the command line is visible to every user of this machine; set VNFLAB_CONTROL_TOKEN or use --token-file FILE',
    );
  const file = f['token-file'];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(
        `--token-file: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    const token = text.split('\n')[0].trim();
    if (!token) throw new UsageError(`--token-file: ${file} is empty (the token is its first line)`);
    return token;
  }
  return process.env.VNFLAB_CONTROL_TOKEN || undefined;
}
