// Firewall rules as written (chain file, PUT /firewall/rules): the TypeBox schema, and the
// parsers that turn their text into numbers — prefixes "A.B.C.D/len" and ports "N" or "N-M" —
// each error starting with the key it is about (`rules[3].src: not a prefix ...`).

import { Type, type Static } from '@sinclair/typebox';
import { ipFromString, schemaErrors } from '@vnflab/core';

export const ACTIONS = ['allow', 'deny'] as const;
export type Action = (typeof ACTIONS)[number];
export const RULE_PROTOCOLS = ['any', 'udp', 'tcp', 'icmp'] as const;
export type RuleProtocol = (typeof RULE_PROTOCOLS)[number];
/** IPv4 protocol numbers of the rule protocols (`any` matches every protocol). */
export const PROTO_NUMBER: Record<Exclude<RuleProtocol, 'any'>, number> = { icmp: 1, tcp: 6, udp: 17 };
/** Enough for the 1,000-rule benchmark with room; a linear scan longer than this is a design error, not a setting. */
export const MAX_RULES = 10000;

const PortSchema = Type.Union([Type.Integer({ minimum: 0, maximum: 65535 }), Type.String()], {
  description: 'a port N or an inclusive range "N-M"',
});

export const RuleSchema = Type.Object(
  {
    action: Type.Union(
      ACTIONS.map((a) => Type.Literal(a)),
      { description: 'what a packet matching every given field gets' },
    ),
    proto: Type.Optional(
      Type.Union(
        RULE_PROTOCOLS.map((p) => Type.Literal(p)),
        { description: 'default any' },
      ),
    ),
    src: Type.Optional(
      Type.String({ description: 'source prefix "A.B.C.D/len" (a bare address is /32); default 0.0.0.0/0' }),
    ),
    dst: Type.Optional(Type.String({ description: 'destination prefix "A.B.C.D/len"; default 0.0.0.0/0' })),
    sport: Type.Optional(PortSchema),
    dport: Type.Optional(PortSchema),
  },
  { additionalProperties: false },
);

export const RulesSchema = Type.Array(RuleSchema, {
  maxItems: MAX_RULES,
  description: 'ordered; the first rule that matches decides',
});
export const DefaultPolicySchema = Type.Union(
  ACTIONS.map((a) => Type.Literal(a)),
  { description: 'what a packet no rule matches gets (default deny)' },
);

export type RuleSpec = Static<typeof RuleSchema>;

/** A rule or setting the firewall refuses; the control routes answer it as 400 (`status`). */
export class FirewallConfigError extends Error {
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = 'FirewallConfigError';
  }
}

export interface Prefix {
  net: number;
  mask: number;
  len: number;
}

/** "A.B.C.D/len" (or a bare address, /32) -> network and mask; host bits must be zero. */
export function parsePrefix(text: string, key: string): Prefix {
  const m = /^([0-9.]+)(?:\/(\d{1,2}))?$/.exec(text);
  let addr = 0;
  try {
    if (!m) throw new Error();
    addr = ipFromString(m[1]);
  } catch {
    throw new FirewallConfigError(`${key}: not a prefix: ${JSON.stringify(text)} (want A.B.C.D/len)`);
  }
  const len = m[2] === undefined ? 32 : Number(m[2]);
  if (len > 32)
    throw new FirewallConfigError(`${key}: not a prefix: ${JSON.stringify(text)} has length ${len}, at most 32`);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const net = (addr & mask) >>> 0;
  if (net !== addr) {
    const fixed = `${net >>> 24}.${(net >>> 16) & 0xff}.${(net >>> 8) & 0xff}.${net & 0xff}/${len}`;
    throw new FirewallConfigError(
      `${key}: not a prefix: ${JSON.stringify(text)} has host bits set (did you mean ${fixed}?)`,
    );
  }
  return { net, mask, len };
}

export interface PortRange {
  lo: number;
  hi: number;
}

/** 53, "53" or "1024-65535" (inclusive) -> lo..hi. */
export function parsePortRange(v: number | string, key: string): PortRange {
  const m = typeof v === 'number' ? [String(v), String(v), undefined] : /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v.trim());
  if (!m)
    throw new FirewallConfigError(`${key}: not a port or range: ${JSON.stringify(v)} (want N or "N-M", 0..65535)`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (!Number.isInteger(lo) || lo > 65535 || hi > 65535)
    throw new FirewallConfigError(`${key}: ${JSON.stringify(v)} is out of range: ports are 0..65535`);
  if (hi < lo)
    throw new FirewallConfigError(
      `${key}: ${JSON.stringify(v)} is an empty range: the first port must not exceed the second`,
    );
  return { lo, hi };
}

/** A rule's numbers, ready to be packed into the ACL's table. */
export interface ParsedRule {
  allow: boolean;
  /** IPv4 protocol number, or -1 for any. */
  proto: number;
  src: Prefix;
  dst: Prefix;
  sport: PortRange;
  dport: PortRange;
  /** True when a port field was given: only UDP and TCP packets have ports to match. */
  hasPorts: boolean;
}

const ANY_PREFIX: Prefix = { net: 0, mask: 0, len: 0 };
const ANY_PORT: PortRange = { lo: 0, hi: 65535 };

/** Checks one rule (schema, then what a schema cannot say); `key` is e.g. `rules[3]`. */
export function parseRule(raw: unknown, key: string): ParsedRule {
  const errs = schemaErrors(RuleSchema, raw, key);
  if (errs.length) throw new FirewallConfigError(errs.join('; '));
  const r = raw as RuleSpec;
  const proto = r.proto ?? 'any';
  const hasPorts = r.sport !== undefined || r.dport !== undefined;
  if (hasPorts && proto === 'icmp')
    throw new FirewallConfigError(
      `${key}.${r.sport !== undefined ? 'sport' : 'dport'}: icmp has no ports; drop the port or use proto udp, tcp or any`,
    );
  return {
    allow: r.action === 'allow',
    proto: proto === 'any' ? -1 : PROTO_NUMBER[proto],
    src: r.src === undefined ? ANY_PREFIX : parsePrefix(r.src, `${key}.src`),
    dst: r.dst === undefined ? ANY_PREFIX : parsePrefix(r.dst, `${key}.dst`),
    sport: r.sport === undefined ? ANY_PORT : parsePortRange(r.sport, `${key}.sport`),
    dport: r.dport === undefined ? ANY_PORT : parsePortRange(r.dport, `${key}.dport`),
    hasPorts,
  };
}

/** Checks a whole rule list; errors name `<prefix>[i].field`. */
export function parseRules(raw: unknown, prefix = 'rules'): ParsedRule[] {
  if (!Array.isArray(raw)) throw new FirewallConfigError(`${prefix}: expected a list of rules`);
  if (raw.length > MAX_RULES) throw new FirewallConfigError(`${prefix}: ${raw.length} rules, at most ${MAX_RULES}`);
  return raw.map((r, i) => parseRule(r, `${prefix}[${i}]`));
}
