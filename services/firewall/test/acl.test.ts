import { Reason, ipFromString } from '@vnflab/core';
import {
  ACL_DENY,
  Acl,
  Firewall,
  FirewallConfigError,
  parsePortRange,
  parsePrefix,
  parseRules,
  type RuleSpec,
} from '@vnflab/firewall';
import { batchOf, makeCtx, reasons, type Pkt } from './helpers';

const ip = ipFromString;
const UDP = 17;
const TCP = 6;
const ICMP = 1;

/** Index of the rule that decides (or -1, the default policy) for a 5-tuple. */
function first(rules: RuleSpec[], proto: number, src: string, dst: string, sport = 0, dport = 0): number {
  return Acl.fromSpecs(rules, 'deny').match(proto, ip(src), ip(dst), sport, dport);
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FirewallConfigError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('rule parsing: every error names the key', () => {
  test.each<[string, unknown, RegExp]>([
    [
      'not a prefix',
      [{ action: 'allow' }, { action: 'deny', src: '10.0.0/8' }],
      /^rules\[1\]\.src: not a prefix: "10\.0\.0\/8" \(want A\.B\.C\.D\/len\)$/,
    ],
    ['octet out of range', [{ action: 'deny', dst: '10.0.0.256/32' }], /^rules\[0\]\.dst: not a prefix/],
    [
      'length over 32',
      [{ action: 'deny', dst: '10.0.0.0/33' }],
      /^rules\[0\]\.dst: not a prefix: "10\.0\.0\.0\/33" has length 33, at most 32$/,
    ],
    [
      'host bits set',
      [{ action: 'deny', src: '10.1.2.3/16' }],
      /^rules\[0\]\.src: not a prefix: "10\.1\.2\.3\/16" has host bits set \(did you mean 10\.1\.0\.0\/16\?\)$/,
    ],
    ['port not a number', [{ action: 'deny', sport: 'http' }], /^rules\[0\]\.sport: not a port or range: "http"/],
    [
      'port over 65535',
      [{ action: 'deny', dport: '80-70000' }],
      /^rules\[0\]\.dport: "80-70000" is out of range: ports are 0\.\.65535$/,
    ],
    [
      'port integer over 65535',
      [{ action: 'deny', dport: 65536 }],
      /^rules\[0\]\.dport: 65536 is not a port N or an inclusive range "N-M"$/,
    ],
    ['empty range', [{ action: 'deny', dport: '90-80' }], /^rules\[0\]\.dport: "90-80" is an empty range/],
    ['ports on icmp', [{ action: 'deny', proto: 'icmp', dport: 7 }], /^rules\[0\]\.dport: icmp has no ports/],
    ['unknown action', [{ action: 'drop' }], /^rules\[0\]\.action: "drop" is not one of allow, deny$/],
    ['missing action', [{ src: '10.0.0.0/8' }], /^rules\[0\]\.action: is required$/],
    [
      'unknown proto',
      [{ action: 'deny', proto: 'sctp' }],
      /^rules\[0\]\.proto: "sctp" is not one of any, udp, tcp, icmp$/,
    ],
    [
      'unknown key',
      [{ action: 'deny', source: '10.0.0.0/8' }],
      /^rules\[0\]\.source: unknown key \(known: action, proto, src, dst, sport, dport\)$/,
    ],
    ['not a list', { action: 'deny' }, /^rules: expected a list of rules$/],
  ])('%s', (_name, rules, want) => {
    expect(errorOf(() => parseRules(rules))).toMatch(want);
  });

  test('the element refuses bad settings with the settings key, and a bad variant', () => {
    expect(
      errorOf(() => new Firewall('acl', { rules: [{ action: 'allow' }, { action: 'deny', src: 'nope' }] })),
    ).toMatch(/^firewall settings: rules\[1\]\.src: not a prefix/);
    expect(errorOf(() => new Firewall('acl', { default_policy: 'reject' }))).toMatch(
      /^firewall settings: default_policy: "reject" is not one of allow, deny$/,
    );
    expect(errorOf(() => new Firewall('acl', { conntrack_size: 0 }))).toMatch(/^firewall settings: conntrack_size: /);
    expect(errorOf(() => new Firewall('acl', { idle_timeout: 5 }))).toMatch(
      /^firewall settings: idle_timeout: unknown key/,
    );
    expect(errorOf(() => new Firewall('nat', {}))).toMatch(
      /^variant: "nat" is not a firewall variant \(known: acl, stateful\)$/,
    );
  });

  test('prefixes: /0 is everything, a bare address is /32', () => {
    expect(parsePrefix('0.0.0.0/0', 'k')).toEqual({ net: 0, mask: 0, len: 0 });
    expect(parsePrefix('10.0.0.7', 'k')).toEqual({ net: ip('10.0.0.7'), mask: 0xffffffff, len: 32 });
    expect(parsePrefix('255.255.255.255/32', 'k').net).toBe(0xffffffff);
    expect(parsePrefix('128.0.0.0/1', 'k')).toEqual({ net: 0x80000000, mask: 0x80000000, len: 1 });
  });

  test('ports: a number, a string, a range with both ends included', () => {
    expect(parsePortRange(53, 'k')).toEqual({ lo: 53, hi: 53 });
    expect(parsePortRange('53', 'k')).toEqual({ lo: 53, hi: 53 });
    expect(parsePortRange('0-65535', 'k')).toEqual({ lo: 0, hi: 65535 });
    expect(parsePortRange('1024-1024', 'k')).toEqual({ lo: 1024, hi: 1024 });
  });
});

describe('first match wins', () => {
  test('the earlier of two overlapping rules decides, whichever action it has', () => {
    const narrowDenyFirst: RuleSpec[] = [
      { action: 'deny', src: '10.1.2.0/24' },
      { action: 'allow', src: '10.1.0.0/16' },
    ];
    expect(first(narrowDenyFirst, UDP, '10.1.2.9', '10.0.0.1', 1, 2)).toBe(0);
    expect(first(narrowDenyFirst, UDP, '10.1.3.9', '10.0.0.1', 1, 2)).toBe(1);
    // reversed: the broad allow shadows the narrow deny
    expect(first([...narrowDenyFirst].reverse(), UDP, '10.1.2.9', '10.0.0.1', 1, 2)).toBe(0);
    expect(first([], UDP, '10.1.2.9', '10.0.0.1', 1, 2)).toBe(-1);
  });

  test('prefix edges: /32 matches one address, /0 all, /31 two', () => {
    const r32: RuleSpec[] = [{ action: 'allow', dst: '10.0.0.100/32' }];
    expect(first(r32, UDP, '1.1.1.1', '10.0.0.100')).toBe(0);
    expect(first(r32, UDP, '1.1.1.1', '10.0.0.101')).toBe(-1);
    expect(first(r32, UDP, '1.1.1.1', '10.0.0.99')).toBe(-1);
    const r0: RuleSpec[] = [{ action: 'allow', src: '0.0.0.0/0', dst: '0.0.0.0/0' }];
    for (const a of ['0.0.0.0', '255.255.255.255', '128.0.0.0', '127.255.255.255'])
      expect(first(r0, UDP, a, a)).toBe(0);
    const r31: RuleSpec[] = [{ action: 'allow', src: '192.168.0.254/31' }];
    expect(first(r31, UDP, '192.168.0.254', '1.1.1.1')).toBe(0);
    expect(first(r31, UDP, '192.168.0.255', '1.1.1.1')).toBe(0);
    expect(first(r31, UDP, '192.168.0.253', '1.1.1.1')).toBe(-1);
    expect(first(r31, UDP, '192.168.1.254', '1.1.1.1')).toBe(-1);
    // the top bit set (addresses are unsigned)
    expect(first([{ action: 'allow', src: '200.0.0.0/8' }], UDP, '200.1.2.3', '1.1.1.1')).toBe(0);
  });

  test('port ranges include both ends and nothing past them', () => {
    const rules: RuleSpec[] = [{ action: 'allow', proto: 'udp', sport: '1000-2000', dport: 53 }];
    expect(first(rules, UDP, '1.1.1.1', '2.2.2.2', 999, 53)).toBe(-1);
    expect(first(rules, UDP, '1.1.1.1', '2.2.2.2', 1000, 53)).toBe(0);
    expect(first(rules, UDP, '1.1.1.1', '2.2.2.2', 2000, 53)).toBe(0);
    expect(first(rules, UDP, '1.1.1.1', '2.2.2.2', 2001, 53)).toBe(-1);
    expect(first(rules, UDP, '1.1.1.1', '2.2.2.2', 1500, 54)).toBe(-1);
    const full: RuleSpec[] = [{ action: 'allow', dport: '0-65535' }];
    expect(first(full, TCP, '1.1.1.1', '2.2.2.2', 0, 0)).toBe(0);
    expect(first(full, TCP, '1.1.1.1', '2.2.2.2', 0, 65535)).toBe(0);
  });

  test('protocols: a rule names one or any; port rules match only UDP and TCP', () => {
    expect(first([{ action: 'allow', proto: 'tcp' }], UDP, '1.1.1.1', '2.2.2.2')).toBe(-1);
    expect(first([{ action: 'allow', proto: 'tcp' }], TCP, '1.1.1.1', '2.2.2.2')).toBe(0);
    expect(first([{ action: 'allow', proto: 'icmp' }], ICMP, '1.1.1.1', '2.2.2.2')).toBe(0);
    expect(first([{ action: 'allow' }], 47 /* GRE */, '1.1.1.1', '2.2.2.2')).toBe(0);
    // an `any` rule with a port range does not match ICMP even though ICMP's "ports" read as 0
    expect(first([{ action: 'allow', dport: '0-100' }], ICMP, '1.1.1.1', '2.2.2.2')).toBe(-1);
    expect(first([{ action: 'allow', dport: '0-100' }], UDP, '1.1.1.1', '2.2.2.2', 5, 0)).toBe(0);
  });
});

describe('the element', () => {
  const pkts: Pkt[] = [
    { src: '10.1.0.1', dst: '10.0.0.100', sport: 50000, dport: 80 }, // rule 1 allows
    { src: '10.1.0.1', dst: '10.0.0.100', sport: 49200, dport: 80 }, // rule 0 denies
    { src: '10.9.0.1', dst: '10.0.0.100', sport: 50000, dport: 80 }, // no rule: default
    { src: '10.1.0.1', dst: '10.0.0.100', proto: 'icmp' }, // rule 2 allows
  ];
  const rules: RuleSpec[] = [
    { action: 'deny', proto: 'udp', sport: '49152-49279' },
    { action: 'allow', proto: 'udp', src: '10.1.0.0/16', dport: 80 },
    { action: 'allow', proto: 'icmp' },
  ];

  test.each(['deny', 'allow'] as const)(
    'default policy %s decides what no rule matches; hits are counted per rule',
    (policy) => {
      const fw = new Firewall('acl', { rules, default_policy: policy });
      const b = batchOf(pkts);
      fw.process(b, makeCtx());
      expect(reasons(b)).toEqual([0, ACL_DENY, policy === 'deny' ? ACL_DENY : 0, 0]);
      const v = fw.rulesView();
      expect(v.rules.map((r) => r.hits)).toEqual([1, 1, 1]);
      expect(v.default_hits).toBe(1);
      expect(fw.describe()).toMatchObject({ rules: 3, rule_hits: [1, 1, 1], default_policy: policy });
    },
  );

  test("unparseable frames are dropped with the parser's reason, not acl_deny", () => {
    const fw = new Firewall('acl', { rules: [{ action: 'allow' }] });
    const arp = Buffer.alloc(60);
    arp.writeUInt16BE(0x0806, 12);
    const short = Buffer.alloc(10);
    const b = batchOf([arp, short, { src: '1.1.1.1', dst: '2.2.2.2', sport: 1, dport: 2 }]);
    fw.process(b, makeCtx());
    expect(reasons(b)).toEqual([Reason.not_ipv4, Reason.truncated, 0]);
    expect(fw.rulesView().rules[0].hits).toBe(1);
  });
});
