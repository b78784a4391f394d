// The firewall element: per packet, read the 5-tuple, then — stateful — look the flow up in the
// connection table (a tracked flow and its replies pass without the ACL); otherwise the ordered
// ACL decides, first match wins, the default policy when nothing matches. A flow the ACL allows
// is tracked; when the table is full the new flow is dropped (firewall_state_full), never an
// old one evicted. Rules are replaced between two batches (setRules, configure).

import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, Element, ElementContext, MetricDeclaration, ParsedFrame } from '@vnflab/core';
import { Acl } from './acl';
import { ConnTable, MISS } from './conntrack';
import { readFiveTuple } from './five-tuple';
import { FirewallConfigError, parseRules, type Action, type RuleSpec } from './rules';
import { RUNTIME_KEYS, checkSchema, resolveSettings, type Variant } from './settings';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { Cat, ParsedFrame: Parsed, monoNs, reasonCode } = core;
const CAT_APP = Cat.app;

export const ACL_DENY = reasonCode('acl_deny');
export const FIREWALL_STATE_FULL = reasonCode('firewall_state_full');

/** Slots of the connection table examined for idle flows per batch: bounded work, whatever the table size. */
export const SWEEP_SLOTS_PER_BATCH = 128;

export interface FirewallOptions {
  /** CLOCK_MONOTONIC ns source (tests pass a fake one to age flows). */
  clock?: () => number;
}

/** What a rule replacement did. */
export interface RuleChangeReport {
  rules: number;
  default_policy: Action;
  /** Tracked flows the new rules no longer allow, removed from the connection table. */
  flows_revoked: number;
}

export interface RuleView extends RuleSpec {
  index: number;
  hits: number;
}

export interface ConntrackView {
  stateful: boolean;
  size: number;
  capacity: number;
  idle_timeout_ms: number;
  counters: {
    hits_original: number;
    hits_reply: number;
    inserted: number;
    expired: number;
    full: number;
    revoked: number;
  };
}

/** The metrics the firewall reports (its manifest declares them; metrics() fills in samples). */
export const FIREWALL_METRICS = [
  { name: 'vnflab_firewall_rules', help: 'Rules in the ACL', type: 'gauge' },
  {
    name: 'vnflab_firewall_decisions_total',
    help: 'Packets the firewall let through or refused, by what decided (a rule, the default policy, or a tracked flow)',
    type: 'counter',
  },
  { name: 'vnflab_firewall_rule_changes_total', help: 'Rule list replacements at run time', type: 'counter' },
  { name: 'vnflab_firewall_conntrack_entries', help: 'Flows tracked now (0 when stateless)', type: 'gauge' },
  {
    name: 'vnflab_firewall_conntrack_capacity',
    help: 'Flows the table holds at most (0 when stateless)',
    type: 'gauge',
  },
  {
    name: 'vnflab_firewall_conntrack_expired_total',
    help: 'Tracked flows forgotten after the idle timeout',
    type: 'counter',
  },
] as const satisfies readonly MetricDeclaration[];

export class Firewall implements Element {
  readonly stage = 'firewall';
  acl: Acl;
  /** null when stateless. */
  conntrack: ConnTable | null;
  readonly conntrackSize: number;
  idleTimeoutMs: number;
  ruleChanges = 0;
  allowedByRule = 0;
  deniedByRule = 0;
  allowedByDefault = 0;
  deniedByDefault = 0;
  /** Packets let through by the connection table, without the ACL. */
  passedByState = 0;
  private readonly p: ParsedFrame = new Parsed();
  private readonly clock: () => number;

  constructor(variant: string = 'acl', settings: unknown = {}, opts: FirewallOptions = {}) {
    const s = resolveSettings(variant, settings);
    this.acl = new Acl(s.rules, s.defaultPolicy, s.ruleSpecs);
    this.conntrackSize = s.conntrackSize;
    this.idleTimeoutMs = s.idleTimeoutMs;
    this.conntrack = s.stateful ? new ConnTable(s.conntrackSize, s.idleTimeoutMs) : null;
    this.clock = opts.clock ?? monoNs;
  }

  /** The variant names the mode that runs, so it follows `stateful` when configure changes it. */
  get variant(): Variant {
    return this.conntrack ? 'stateful' : 'acl';
  }

  // ---- data path -------------------------------------------------------------------------

  process(batch: Batch, ctx: ElementContext): void {
    const t0 = ctx.stats.cpu.begin();
    const ct = this.conntrack;
    const now = ct !== null ? this.clock() : 0;
    if (ct !== null) ct.sweep(now, SWEEP_SLOTS_PER_BATCH);
    const acl = this.acl;
    const hits = acl.hits;
    const buf = batch.buf;
    const p = this.p;
    for (let i = 0, n = batch.count; i < n; i++) {
      if (!batch.alive(i)) continue;
      const r = readFiveTuple(buf, batch.offset(i), batch.length(i), p);
      if (r !== 0) {
        batch.drop(i, r);
        continue;
      }
      if (ct !== null && ct.lookup(p.proto, p.srcIp, p.dstIp, p.srcPort, p.dstPort, now) !== MISS) {
        this.passedByState++;
        continue;
      }
      const rule = acl.match(p.proto, p.srcIp, p.dstIp, p.srcPort, p.dstPort);
      let allow: boolean;
      if (rule < 0) {
        acl.defaultHits++;
        allow = acl.defaultAllow;
        if (allow) this.allowedByDefault++;
        else this.deniedByDefault++;
      } else {
        hits[rule]++;
        allow = acl.allows(rule);
        if (allow) this.allowedByRule++;
        else this.deniedByRule++;
      }
      if (!allow) {
        batch.drop(i, ACL_DENY);
        continue;
      }
      if (ct !== null && !ct.insertLast(now)) batch.drop(i, FIREWALL_STATE_FULL);
    }
    ctx.stats.cpu.end(CAT_APP, t0);
  }

  // ---- control operations ------------------------------------------------------------------

  /**
   * Replaces the whole rule list (and the default policy when given); takes effect on the next
   * batch. Tracked flows the new rules would refuse are removed. Throws FirewallConfigError
   * naming `<prefix>[i].field` and changes nothing when a rule is bad.
   */
  setRules(specs: unknown, defaultPolicy?: Action, prefix = 'rules'): RuleChangeReport {
    const policy = defaultPolicy ?? (this.acl.defaultAllow ? 'allow' : 'deny');
    const acl = new Acl(
      parseRules(specs, prefix),
      policy,
      (specs as RuleSpec[]).map((r) => ({ ...r })),
    );
    this.acl = acl;
    this.ruleChanges++;
    const revoked =
      this.conntrack?.retain((proto, src, dst, sport, dport) => acl.allows(acl.match(proto, src, dst, sport, dport))) ??
      0;
    return { rules: acl.size, default_policy: policy, flows_revoked: revoked };
  }

  /** Run-time settings (POST /control): rules, default_policy, stateful, idle_timeout_ms; all checked before any applies. */
  configure(settings: Record<string, unknown>): void {
    for (const k of Object.keys(settings)) {
      if (!(RUNTIME_KEYS as readonly string[]).includes(k)) {
        throw new FirewallConfigError(
          `firewall settings: ${k}: cannot change at run time (restart the stage); run-time keys: ${RUNTIME_KEYS.join(', ')}`,
        );
      }
    }
    const s = checkSchema(settings);
    let parsed;
    try {
      parsed = s.rules !== undefined ? parseRules(s.rules) : undefined;
    } catch (e) {
      throw new FirewallConfigError(`firewall settings: ${(e as Error).message}`);
    }
    if (s.idle_timeout_ms !== undefined) {
      this.idleTimeoutMs = s.idle_timeout_ms;
      if (this.conntrack) this.conntrack.idleNs = s.idle_timeout_ms * 1e6;
    }
    if (s.stateful !== undefined && s.stateful !== (this.conntrack !== null)) {
      // a table is allocated only while stateful; turning it on starts with no flows
      this.conntrack = s.stateful ? new ConnTable(this.conntrackSize, this.idleTimeoutMs) : null;
    }
    if (parsed !== undefined || s.default_policy !== undefined) {
      this.setRules(s.rules ?? this.acl.specs, s.default_policy);
    }
  }

  // ---- views -----------------------------------------------------------------------------

  rulesView(): { default_policy: Action; default_hits: number; rule_changes: number; rules: RuleView[] } {
    const acl = this.acl;
    return {
      default_policy: acl.defaultAllow ? 'allow' : 'deny',
      default_hits: acl.defaultHits,
      rule_changes: this.ruleChanges,
      rules: acl.specs.map((r, i) => ({ index: i, ...r, hits: acl.hits[i] })),
    };
  }

  conntrackView(): ConntrackView {
    const ct = this.conntrack;
    return {
      stateful: ct !== null,
      size: ct?.size ?? 0,
      capacity: ct?.capacity ?? 0,
      idle_timeout_ms: this.idleTimeoutMs,
      counters: {
        hits_original: ct?.hitsOriginal ?? 0,
        hits_reply: ct?.hitsReply ?? 0,
        inserted: ct?.inserted ?? 0,
        expired: ct?.expired ?? 0,
        full: ct?.full ?? 0,
        revoked: ct?.revoked ?? 0,
      },
    };
  }

  describe(): Record<string, unknown> {
    const acl = this.acl;
    return {
      variant: this.variant,
      default_policy: acl.defaultAllow ? 'allow' : 'deny',
      rules: acl.size,
      rule_hits: Array.from(acl.hits),
      default_hits: acl.defaultHits,
      rule_changes: this.ruleChanges,
      decisions: {
        allowed_by_rule: this.allowedByRule,
        denied_by_rule: this.deniedByRule,
        allowed_by_default: this.allowedByDefault,
        denied_by_default: this.deniedByDefault,
        passed_by_state: this.passedByState,
      },
      conntrack: this.conntrack ? this.conntrackView() : null,
    };
  }

  metrics(): CustomMetricSpec[] {
    const base = { stage: this.stage, variant: this.variant };
    const ct = this.conntrack;
    const one = (x: number): CustomMetricSpec['samples'] => [{ labels: base, value: x }];
    const [rules, decisions, changes, entries, capacity, expired] = FIREWALL_METRICS;
    return [
      { ...rules, samples: one(this.acl.size) },
      {
        ...decisions,
        samples: [
          { labels: { ...base, decision: 'allow', by: 'rule' }, value: this.allowedByRule },
          { labels: { ...base, decision: 'deny', by: 'rule' }, value: this.deniedByRule },
          { labels: { ...base, decision: 'allow', by: 'default_policy' }, value: this.allowedByDefault },
          { labels: { ...base, decision: 'deny', by: 'default_policy' }, value: this.deniedByDefault },
          { labels: { ...base, decision: 'allow', by: 'conntrack' }, value: this.passedByState },
        ],
      },
      { ...changes, samples: one(this.ruleChanges) },
      { ...entries, samples: one(ct?.size ?? 0) },
      { ...capacity, samples: one(ct?.capacity ?? 0) },
      { ...expired, samples: one(ct?.expired ?? 0) },
    ];
  }
}
