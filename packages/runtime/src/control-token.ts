// The control token a server takes from VNFLAB_CONTROL_TOKEN, checked the same way by every
// server that guards writes with it (a stage service, the embedded run, the controller): a token
// anyone can guess is refused at start, never quietly accepted.

import { createHash } from 'node:crypto';
import { UsageError } from './usage-error';

/** SHA-256 of tokens published in this repository's history (compose's former fixed default). */
const PUBLISHED = new Set(['0981782b011b8f89b40a1551546025becd684578d058097d4e9f01747d745734']);

/** VNFLAB_CONTROL_TOKEN when it is set and usable; undefined when unset or empty; else a UsageError. */
export function checkedControlToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = env.VNFLAB_CONTROL_TOKEN;
  if (!token) return undefined;
  const how = 'e.g. export VNFLAB_CONTROL_TOKEN=$(openssl rand -hex 16)';
  if (token.length < 8) throw new UsageError(`VNFLAB_CONTROL_TOKEN: use at least 8 characters (${how})`);
  if (PUBLISHED.has(createHash('sha256').update(token).digest('hex')))
    throw new UsageError(`VNFLAB_CONTROL_TOKEN: that is the former published default, which anyone can read; ${how}`);
  return token;
}
