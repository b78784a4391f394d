// chains/firewall.yaml run embedded: the accounting closes with the firewall's drops by reason,
// and what the firewall refused is exactly the slice its deny rule names.

import { join } from 'node:path';
import { discoverStages, loadChainFile } from '@vnflab/core';
import { runChain } from '@vnflab/runtime';

const CHAIN = join(__dirname, '..', '..', '..', 'chains', 'firewall.yaml');

describe('chains/firewall.yaml, embedded', () => {
  test('sent == received + drops by reason; acl_deny is the denied slice and matches the rule hits', async () => {
    const reg = discoverStages();
    const chain = loadChainFile(CHAIN, reg);
    // the chain as written, with a packet count and no modelled costs: mechanisms only, quick
    chain.profile = 'zero';
    chain.stages[0].settings = { ...chain.stages[0].settings, count: 20000 };
    expect(chain.stages.map((s) => s.stage)).toEqual([
      'traffic-gen',
      'nic',
      'kernel-path',
      'firewall',
      'lb',
      'backends',
    ]);
    const { summary } = await runChain(chain, reg);

    expect(summary.sent).toBe(20000);
    expect(summary.accounting_closed).toBe(true);
    const dropsTotal = Object.values(summary.drops).reduce(
      (s, byReason) => s + Object.values(byReason).reduce((a, b) => a + b, 0),
      0,
    );
    expect(summary.sent).toBe(summary.received + dropsTotal);
    // the firewall is the only stage that refuses anything here, and only by its ACL
    expect(Object.keys(summary.drops)).toEqual(['firewall']);
    expect(Object.keys(summary.drops.firewall)).toEqual(['acl_deny']);
    const denied = summary.drops.firewall.acl_deny;
    // 128 of the 1,024 uniformly chosen flows are denied: 1/8 of the packets, give or take
    expect(denied / summary.sent).toBeGreaterThan(0.1);
    expect(denied / summary.sent).toBeLessThan(0.15);

    const fw = summary.stages.find((s) => s.stage === 'firewall')!;
    expect(fw.variant).toBe('stateful');
    expect(fw.packets_in).toBe(20000);
    expect(fw.packets_out).toBe(summary.received);
    const d = fw.details as {
      rule_hits: number[];
      default_hits: number;
      decisions: Record<string, number>;
      conntrack: { size: number; counters: { inserted: number; hits_original: number } };
    };
    // the deny rule decided every denied packet; each allowed flow was opened once, then tracked
    expect(d.rule_hits[0]).toBe(denied);
    expect(d.default_hits).toBe(0);
    expect(d.conntrack.size).toBe(896);
    expect(d.conntrack.counters.inserted).toBe(896);
    expect(d.rule_hits[1]).toBe(896);
    expect(d.decisions.passed_by_state).toBe(summary.received - 896);
  });
});
