// The firewall control API, a fastify plugin: read the rules (with their hits) and the
// connection table, and replace the rule list at run time; the new rules decide from the next
// batch on. Writes need `authorization: Bearer <token>`, checked as the lb's control API checks
// it (services/lb/src/control-api.ts). Bodies are validated with TypeBox and every error names
// the field: `body.rules[3].src: not a prefix ...`.
//
//   app.register(firewallControlPlugin, { prefix: '/firewall', firewall, token })

import { createHash, timingSafeEqual } from 'node:crypto';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Firewall } from './firewall';
import { DefaultPolicySchema, FirewallConfigError, RulesSchema, schemaErrors } from './rules';

export interface FirewallControlOptions {
  firewall: Firewall;
  /** Bearer token every write must carry; must not be empty. */
  token: string;
}

export const PutRulesBody = Type.Object(
  { rules: RulesSchema, default_policy: Type.Optional(DefaultPolicySchema) },
  { additionalProperties: false },
);

/** Validates with TypeBox (unknown keys refused, not silently removed); messages name the field under `body`. */
function typeboxValidator({ schema, httpPart }: { schema: unknown; httpPart?: string }) {
  const check = TypeCompiler.Compile(schema as TSchema);
  const part = httpPart ?? 'body';
  return (data: unknown): { value?: unknown; error?: Error } => {
    if (check.Check(data)) return { value: data };
    if (data === null || data === undefined) return { error: new Error(`${part}: a JSON ${part} is required`) };
    return { error: new Error(schemaErrors(schema as TSchema, data, part).join('; ')) };
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export const firewallControlPlugin: FastifyPluginAsync<FirewallControlOptions> = async (app, opts) => {
  const { firewall } = opts;
  if (!firewall) throw new Error('firewallControlPlugin: option "firewall" (the Firewall element) is required');
  if (typeof opts.token !== 'string' || opts.token.length === 0) throw new Error('firewallControlPlugin: option "token" must be a non-empty string; writes are never open');
  const want = digest(opts.token);

  app.setValidatorCompiler(typeboxValidator);

  // Reads are open; every write needs the token, checked before the body is even looked at.
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
    if (!m) {
      reply.header('www-authenticate', 'Bearer').code(401);
      return reply.send({ error: 'unauthorized', message: 'this operation changes the firewall and needs the header "authorization: Bearer <token>"' });
    }
    // compare digests: constant time, whatever the length
    if (!timingSafeEqual(digest(m[1]), want)) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"').code(401);
      return reply.send({ error: 'unauthorized', message: 'the bearer token is not valid for this firewall' });
    }
  });

  app.setErrorHandler((err: FastifyError | FirewallConfigError, req, reply) => {
    if (err instanceof FirewallConfigError) return reply.code(400).send({ error: 'bad_request', message: err.message });
    const status = (err as FastifyError).statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: status === 404 ? 'not_found' : 'bad_request', message: err.message });
    req.log.error({ err }, 'firewall control operation failed');
    return reply.code(500).send({ error: 'internal', message: err.message });
  });

  app.get('/rules', async () => firewall.rulesView());

  app.put<{ Body: Static<typeof PutRulesBody> }>('/rules', { schema: { body: PutRulesBody } }, async (req) =>
    firewall.setRules(req.body.rules, req.body.default_policy, 'body.rules'),
  );

  app.get('/conntrack', async () => firewall.conntrackView());
};
