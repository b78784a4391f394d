// The ordered ACL: rules compiled into one Int32Array, eight words per rule, and a first-match
// scan over it. The scan is linear in the rule count — fine for the tens to hundreds of rules a
// VNF's ACL usually holds; src/bench.ts measures 10 and 1,000 rules. A tuple-space or
// decision-tree classifier would be the next step past that, not a longer table.

import { parseRules, type Action, type ParsedRule, type RuleSpec } from './rules';

// one rule = 8 words (32 bytes), so a rule never straddles two cache lines
const STRIDE = 8;
const W_FLAGS = 0; // F_* bits, protocol number in bits 8..15
const W_SRC_NET = 1;
const W_SRC_MASK = 2;
const W_DST_NET = 3;
const W_DST_MASK = 4;
const W_SPORT = 5; // lo << 16 | hi
const W_DPORT = 6;
const F_ALLOW = 1;
const F_ANY_PROTO = 2;
const F_PORTS = 4;

const PROTO_TCP = 6;
const PROTO_UDP = 17;

export class Acl {
  /** Number of rules. */
  readonly size: number;
  readonly defaultAllow: boolean;
  /** Packets each rule decided (index = rule), and those the default policy decided. */
  readonly hits: Float64Array;
  defaultHits = 0;
  private readonly t: Int32Array;

  /** Compiles checked rules; `specs` are kept as given, for GET /firewall/rules. */
  constructor(
    rules: ParsedRule[],
    defaultPolicy: Action,
    readonly specs: readonly RuleSpec[] = [],
  ) {
    this.size = rules.length;
    this.defaultAllow = defaultPolicy === 'allow';
    this.hits = new Float64Array(rules.length);
    const t = (this.t = new Int32Array(rules.length * STRIDE));
    rules.forEach((r, i) => {
      const o = i * STRIDE;
      t[o + W_FLAGS] =
        (r.allow ? F_ALLOW : 0) | (r.proto < 0 ? F_ANY_PROTO : r.proto << 8) | (r.hasPorts ? F_PORTS : 0);
      // signed 32-bit words: `addr & mask` is an int32, compared without a conversion to double
      t[o + W_SRC_NET] = r.src.net | 0;
      t[o + W_SRC_MASK] = r.src.mask | 0;
      t[o + W_DST_NET] = r.dst.net | 0;
      t[o + W_DST_MASK] = r.dst.mask | 0;
      t[o + W_SPORT] = (r.sport.lo << 16) | r.sport.hi;
      t[o + W_DPORT] = (r.dport.lo << 16) | r.dport.hi;
    });
  }

  /** Checks and compiles rules as written; errors name `rules[i].field`. */
  static fromSpecs(specs: unknown, defaultPolicy: Action, prefix = 'rules'): Acl {
    return new Acl(
      parseRules(specs, prefix),
      defaultPolicy,
      (specs as RuleSpec[]).map((r) => ({ ...r })),
    );
  }

  /**
   * Index of the first rule matching the packet, or -1 when none does (the default policy
   * decides). Counts nothing: the caller bills hits, so peeks (rule changes) stay silent.
   * Addresses are unsigned 32-bit; ports are 0 for protocols without them.
   */
  match(proto: number, src: number, dst: number, sport: number, dport: number): number {
    const t = this.t;
    const end = this.size * STRIDE;
    const hasPorts = proto === PROTO_UDP || proto === PROTO_TCP;
    for (let o = 0; o < end; o += STRIDE) {
      const f = t[o + W_FLAGS];
      if ((f & F_ANY_PROTO) === 0 && f >>> 8 !== proto) continue;
      if ((src & t[o + W_SRC_MASK]) !== t[o + W_SRC_NET]) continue;
      if ((dst & t[o + W_DST_MASK]) !== t[o + W_DST_NET]) continue;
      if ((f & F_PORTS) !== 0) {
        if (!hasPorts) continue;
        const sp = t[o + W_SPORT];
        if (sport < sp >>> 16 || sport > (sp & 0xffff)) continue;
        const dp = t[o + W_DPORT];
        if (dport < dp >>> 16 || dport > (dp & 0xffff)) continue;
      }
      return o / STRIDE;
    }
    return -1;
  }

  /** Whether rule `r` (or the default policy, r = -1) allows. */
  allows(r: number): boolean {
    return r < 0 ? this.defaultAllow : (this.t[r * STRIDE + W_FLAGS] & F_ALLOW) !== 0;
  }
}
