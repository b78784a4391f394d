// The one bearer-token guard of every vnflab HTTP API, as a fastify plugin that encapsulates the
// routes it guards: reads are open, every write needs `authorization: Bearer <token>`, checked
// before the body is looked at. No token configured: writes are off (403). The token is compared
// as a SHA-256 digest with timingSafeEqual, so the time taken says nothing about it, whatever its length.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthMessages, TypeBoxPlugin } from '@vnflab/core';

export interface BearerAuthOptions {
  /** undefined: control is off and every write answers 403. */
  token: string | undefined;
  messages: AuthMessages;
  /** The routes behind the guard. */
  routes: TypeBoxPlugin;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export const bearerAuth: TypeBoxPlugin<BearerAuthOptions> = async (app, o) => {
  if (o.token === '')
    throw new Error(
      'bearerAuth: option "token" must be a non-empty string (or undefined to turn writes off); writes are never open',
    );
  const want = o.token === undefined ? undefined : digest(o.token);
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    if (!want) {
      reply.code(403);
      return reply.send({
        error: 'control_disabled',
        message: 'run-time control is off: start the service with VNFLAB_CONTROL_TOKEN set',
      });
    }
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
    if (!m) {
      reply.code(401).header('www-authenticate', 'Bearer');
      return reply.send({ error: 'unauthorized', message: o.messages.missing });
    }
    if (!timingSafeEqual(digest(m[1]), want)) {
      reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"');
      return reply.send({ error: 'unauthorized', message: o.messages.invalid });
    }
  });
  await app.register(o.routes);
};
