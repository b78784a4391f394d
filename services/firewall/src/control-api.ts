// The firewall control API, a fastify plugin: read the rules (with their hits) and the
// connection table, and replace the rule list at run time; the new rules decide from the next
// batch on. The host validates bodies (TypeBox; every error names the field:
// `body.rules[3].src: not a prefix ...`), answers errors and guards the writes with the control
// token (packages/runtime/src/http), so this plugin holds only the routes.
//
//   mountControlRoutes(app, firewallStage.controlRoutes(fw), token)   // served under /firewall

import { Type } from '@sinclair/typebox';
import type { AuthMessages, TypeBoxPlugin } from '@vnflab/core';
import type { Firewall } from './firewall';
import { DefaultPolicySchema, RulesSchema } from './rules';

export interface FirewallControlOptions {
  firewall: Firewall;
}

/** What a write without the control token, or with a wrong one, is told. */
export const FIREWALL_AUTH_MESSAGES: AuthMessages = {
  missing: 'this operation changes the firewall and needs the header "authorization: Bearer <token>"',
  invalid: 'the bearer token is not valid for this firewall',
};

export const PutRulesBody = Type.Object(
  { rules: RulesSchema, default_policy: Type.Optional(DefaultPolicySchema) },
  { additionalProperties: false },
);

export const firewallControlPlugin: TypeBoxPlugin<FirewallControlOptions> = async (app, opts) => {
  const { firewall } = opts;
  if (!firewall) throw new Error('firewallControlPlugin: option "firewall" (the Firewall element) is required');

  app.get('/rules', async () => firewall.rulesView());

  // a rule the schema lets through but the firewall refuses (a bad prefix) is a FirewallConfigError: 400
  app.put('/rules', { schema: { body: PutRulesBody } }, async (req) =>
    firewall.setRules(req.body.rules, req.body.default_policy, 'body.rules'),
  );

  app.get('/conntrack', async () => firewall.conntrackView());
};
