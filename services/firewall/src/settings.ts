// Firewall settings: the schema the chain file is checked against, the variants (presets of
// `stateful`, as kernel-path's variants are presets of its toggles: a setting given next to a
// variant wins), the defaults, and resolution with errors that name the key.

import { Type, type Static } from '@sinclair/typebox';
import { MAX_CAPACITY } from './conntrack';
import { schemaErrors } from '@vnflab/core';
import {
  DefaultPolicySchema,
  FirewallConfigError,
  RulesSchema,
  parseRules,
  type Action,
  type ParsedRule,
  type RuleSpec,
} from './rules';

export const VARIANTS = ['acl', 'stateful'] as const;
export type Variant = (typeof VARIANTS)[number];

/** What each variant sets; `acl` (stateless) is the default. */
export const PRESETS: Record<Variant, { stateful: boolean }> = {
  acl: { stateful: false },
  stateful: { stateful: true },
};

export const MAX_IDLE_TIMEOUT_MS = 86_400_000;

export const FirewallSettingsSchema = Type.Object(
  {
    rules: Type.Optional(RulesSchema),
    default_policy: Type.Optional(DefaultPolicySchema),
    stateful: Type.Optional(
      Type.Boolean({
        description:
          "track allowed flows: their later packets and replies pass without the ACL (default: the variant's)",
      }),
    ),
    conntrack_size: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_CAPACITY,
        description: 'flows tracked at most; a new flow beyond is dropped as firewall_state_full (default 65536)',
      }),
    ),
    idle_timeout_ms: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_IDLE_TIMEOUT_MS,
        description: 'a tracked flow idle this long is forgotten; 0 = never (default 30000)',
      }),
    ),
  },
  { additionalProperties: false },
);

export type FirewallSettings = Static<typeof FirewallSettingsSchema>;

export const FIREWALL_DEFAULTS = {
  rules: [] as RuleSpec[],
  // a firewall whose rules were forgotten lets nothing through
  default_policy: 'deny' as Action,
  conntrack_size: 65536,
  idle_timeout_ms: 30000,
};

/** The keys POST /control may change while packets flow. */
export const RUNTIME_KEYS = ['rules', 'default_policy', 'stateful', 'idle_timeout_ms'] as const;

export interface ResolvedSettings {
  rules: ParsedRule[];
  ruleSpecs: RuleSpec[];
  defaultPolicy: Action;
  stateful: boolean;
  conntrackSize: number;
  idleTimeoutMs: number;
}

/** Throws `firewall settings: <key>: ...` when the schema refuses `raw`. */
export function checkSchema(raw: unknown): FirewallSettings {
  const errs = schemaErrors(FirewallSettingsSchema, raw ?? {});
  if (errs.length) throw new FirewallConfigError(`firewall settings: ${errs.join('; ')}`);
  return (raw ?? {}) as FirewallSettings;
}

/** Parses rules for the settings, errors prefixed the same way. */
export function settingsRules(raw: unknown): ParsedRule[] {
  try {
    return parseRules(raw);
  } catch (e) {
    throw new FirewallConfigError(`firewall settings: ${(e as Error).message}`);
  }
}

export function isVariant(v: string): v is Variant {
  return (VARIANTS as readonly string[]).includes(v);
}

/** Validates a variant and its settings, and fills in the defaults. */
export function resolveSettings(variant: string, raw: unknown): ResolvedSettings {
  if (!isVariant(variant))
    throw new FirewallConfigError(`variant: "${variant}" is not a firewall variant (known: ${VARIANTS.join(', ')})`);
  const s = checkSchema(raw);
  const ruleSpecs = s.rules ?? FIREWALL_DEFAULTS.rules;
  return {
    rules: settingsRules(ruleSpecs),
    ruleSpecs,
    defaultPolicy: s.default_policy ?? FIREWALL_DEFAULTS.default_policy,
    stateful: s.stateful ?? PRESETS[variant].stateful,
    conntrackSize: s.conntrack_size ?? FIREWALL_DEFAULTS.conntrack_size,
    idleTimeoutMs: s.idle_timeout_ms ?? FIREWALL_DEFAULTS.idle_timeout_ms,
  };
}
