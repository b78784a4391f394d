import { ipFromString } from '@vnflab/core';
import {
  ACL_DENY,
  ConnTable,
  FIREWALL_STATE_FULL,
  Firewall,
  MISS,
  ORIGINAL,
  REPLY,
  SWEEP_SLOTS_PER_BATCH,
  type RuleSpec,
} from '@vnflab/firewall';
import { FakeClock, batchOf, makeCtx, reasons, type Pkt } from './helpers';

// clients may open flows to the VIP's port 80; nothing else is allowed in
const RULES: RuleSpec[] = [{ action: 'allow', proto: 'udp', src: '10.1.0.0/16', dst: '10.0.0.100/32', dport: 80 }];
const out = (i: number): Pkt => ({ src: '10.1.0.1', dst: '10.0.0.100', sport: 49152 + i, dport: 80 });
const back = (i: number): Pkt => ({ src: '10.0.0.100', dst: '10.1.0.1', sport: 80, dport: 49152 + i });

function run(fw: Firewall, pkts: Pkt[]): number[] {
  const b = batchOf(pkts);
  fw.process(b, makeCtx(fw.variant));
  return reasons(b);
}

describe('stateful firewall', () => {
  test('replies of an allowed flow pass without a rule; stateless they are denied; unopened replies are denied', () => {
    const stateless = new Firewall('acl', { rules: RULES });
    expect(run(stateless, [out(0), back(0)])).toEqual([0, ACL_DENY]);

    const clock = new FakeClock();
    const fw = new Firewall('stateful', { rules: RULES }, { clock: clock.now });
    expect(fw.variant).toBe('stateful');
    // flow 0 opens, then its reply and a later packet pass through the table; flow 1 never opened
    expect(run(fw, [out(0)])).toEqual([0]);
    expect(run(fw, [back(0), out(0), back(1)])).toEqual([0, 0, ACL_DENY]);
    const v = fw.conntrackView();
    expect(v).toMatchObject({ stateful: true, size: 1, counters: { inserted: 1, hits_reply: 1, hits_original: 1 } });
    expect(fw.passedByState).toBe(2);
    // the ACL saw the opening packet and the unopened reply only
    expect(fw.rulesView().rules[0].hits).toBe(1);
    expect(fw.rulesView().default_hits).toBe(1);
  });

  test('an idle flow expires: its reply is denied again and its entry is gone', () => {
    const clock = new FakeClock();
    const fw = new Firewall('stateful', { rules: RULES, idle_timeout_ms: 1000 }, { clock: clock.now });
    expect(run(fw, [out(0), out(1)])).toEqual([0, 0]);
    clock.advanceMs(900);
    expect(run(fw, [back(0)])).toEqual([0]); // flow 0's clock restarts; flow 1 idles on
    clock.advanceMs(200); // flow 1 idle 1100 ms, flow 0 200 ms
    expect(run(fw, [back(1), back(0)])).toEqual([ACL_DENY, 0]);
    expect(fw.conntrack!.has(17, ipFromString('10.1.0.1'), ipFromString('10.0.0.100'), 49153, 80, clock.ns)).toBe(
      false,
    );
    expect(fw.conntrackView().size).toBe(1);
    expect(fw.conntrackView().counters.expired).toBe(1);
  });

  test('the per-batch sweep frees idle flows nobody looks up, a bounded number of slots at a time', () => {
    const clock = new FakeClock();
    const fw = new Firewall(
      'stateful',
      { rules: RULES, conntrack_size: 4096, idle_timeout_ms: 10 },
      { clock: clock.now },
    );
    const flows = Array.from({ length: 3000 }, (_, i) => out(i));
    for (let i = 0; i < flows.length; i += 250) run(fw, flows.slice(i, i + 250));
    const ct = fw.conntrack!;
    expect(ct.size).toBe(3000);
    clock.advanceMs(11);
    // an empty batch sweeps SWEEP_SLOTS_PER_BATCH slots: it can free no more than that
    fw.process(batchOf([]), makeCtx('stateful'));
    const freed = 3000 - ct.size;
    expect(freed).toBeGreaterThan(0);
    expect(freed).toBeLessThanOrEqual(SWEEP_SLOTS_PER_BATCH);
    // a removal re-examines its slot (a later entry may move in), so a full pass costs slots + removals
    for (let k = 0; k < (ct.slots + 3000) / SWEEP_SLOTS_PER_BATCH + 1; k++)
      fw.process(batchOf([]), makeCtx('stateful'));
    expect(ct.size).toBe(0);
    expect(ct.expired).toBe(3000);
  });

  test('a full table drops new flows as firewall_state_full and does not grow; tracked flows still pass', () => {
    const clock = new FakeClock();
    const fw = new Firewall(
      'stateful',
      { rules: RULES, conntrack_size: 100, idle_timeout_ms: 60000 },
      { clock: clock.now },
    );
    const first = run(
      fw,
      Array.from({ length: 100 }, (_, i) => out(i)),
    );
    expect(first.every((r) => r === 0)).toBe(true);
    expect(fw.conntrackView().size).toBe(100);
    const r = run(fw, [out(100), out(101), back(5), out(7), back(102)]);
    // two new flows refused for room, tracked flows 5 and 7 pass, an unopened reply is the ACL's
    expect(r).toEqual([FIREWALL_STATE_FULL, FIREWALL_STATE_FULL, 0, 0, ACL_DENY]);
    const v = fw.conntrackView();
    expect(v.size).toBe(100);
    expect(v.capacity).toBe(100);
    expect(v.counters.full).toBe(2);
    expect(v.counters.inserted).toBe(100);
    // once flows idle out, room returns
    clock.advanceMs(60001);
    expect(run(fw, [out(100)])).toEqual([0]);
  });

  test('replacing the rules revokes tracked flows the new rules refuse, keeps the others', () => {
    const fw = new Firewall('stateful', { rules: RULES, idle_timeout_ms: 0 });
    run(
      fw,
      Array.from({ length: 10 }, (_, i) => out(i)),
    );
    const rep = fw.setRules([{ action: 'deny', proto: 'udp', sport: '49152-49155' }, ...RULES]);
    expect(rep).toEqual({ rules: 2, default_policy: 'deny', flows_revoked: 4 });
    expect(fw.conntrackView().size).toBe(6);
    expect(run(fw, [back(0), back(4), out(3), out(9)])).toEqual([ACL_DENY, 0, ACL_DENY, 0]);
  });

  test('configure switches stateful on and off (the variant follows) and refuses start-time keys', () => {
    const fw = new Firewall('acl', { rules: RULES });
    expect(fw.variant).toBe('acl');
    expect(fw.conntrack).toBeNull();
    fw.configure({ stateful: true, idle_timeout_ms: 5 });
    expect(fw.variant).toBe('stateful');
    expect(fw.conntrackView()).toMatchObject({ stateful: true, capacity: 65536, idle_timeout_ms: 5 });
    expect(run(fw, [out(0), back(0)])).toEqual([0, 0]);
    fw.configure({ stateful: false });
    expect(fw.variant).toBe('acl');
    expect(run(fw, [back(0)])).toEqual([ACL_DENY]);
    expect(() => fw.configure({ conntrack_size: 10 })).toThrow(
      /^firewall settings: conntrack_size: cannot change at run time/,
    );
    // a bad rule changes nothing, not even the keys given beside it
    expect(() => fw.configure({ stateful: true, rules: [{ action: 'allow', dst: '1.2.3.4/40' }] })).toThrow(
      /^firewall settings: rules\[0\]\.dst: not a prefix/,
    );
    expect(fw.variant).toBe('acl');
    expect(fw.rulesView().rules).toHaveLength(1);
    fw.configure({ default_policy: 'allow' });
    expect(run(fw, [back(0)])).toEqual([0]);
    expect(fw.rulesView().rules).toHaveLength(1);
  });

  test('metrics count decisions by what decided, labelled by stage and variant only', () => {
    const fw = new Firewall('stateful', { rules: RULES });
    run(fw, [out(0), out(0), back(0), back(1), { src: '9.9.9.9', dst: '10.0.0.100', sport: 1, dport: 80 }]);
    const m = Object.fromEntries(fw.metrics().map((x) => [x.name, x]));
    const decisions = Object.fromEntries(
      m.vnflab_firewall_decisions_total.samples.map((x) => [`${x.labels.decision}/${x.labels.by}`, x.value]),
    );
    expect(decisions).toEqual({
      'allow/rule': 1,
      'deny/rule': 0,
      'allow/default_policy': 0,
      'deny/default_policy': 2,
      'allow/conntrack': 2,
    });
    expect(m.vnflab_firewall_conntrack_entries.samples[0]).toEqual({
      labels: { stage: 'firewall', variant: 'stateful' },
      value: 1,
    });
    expect(m.vnflab_firewall_rules.samples[0].value).toBe(1);
    for (const x of fw.metrics())
      for (const sample of x.samples)
        expect(Object.keys(sample.labels).filter((k) => !['stage', 'variant', 'decision', 'by'].includes(k))).toEqual(
          [],
        );
  });

  test('a setting beside a variant wins over its preset', () => {
    expect(new Firewall('stateful', { stateful: false }).variant).toBe('acl');
    expect(new Firewall('acl', { stateful: true }).variant).toBe('stateful');
  });
});

describe('connection table against a Map model (inserts, lookups both ways, expiry, revocation)', () => {
  test('random operations keep every answer and the size equal to the model', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const ct = new ConnTable(40, 50); // 128 slots, about as many live flows as room: full at times, wrap-arounds
    const model = new Map<string, { opener: string; last: number }>();
    const keyOf = (a: number, pa: number, b: number, pb: number): string =>
      a < b || (a === b && pa <= pb) ? `${a}:${pa}-${b}:${pb}` : `${b}:${pb}-${a}:${pa}`;
    let now = 0;
    for (let step = 0; step < 40000; step++) {
      now += rnd(3) * 1e6 * (rnd(50) === 0 ? 30 : 1);
      const a = rnd(20);
      const b = rnd(20);
      const pa = rnd(30);
      const pb = rnd(30);
      const k = keyOf(a, pa, b, pb);
      const m = model.get(k);
      if (m && now - m.last > 50e6) model.delete(k);
      const want = model.get(k);
      const got = ct.lookup(17, a, b, pa, pb, now);
      const expected = want ? (want.opener === `${a}:${pa}` ? ORIGINAL : REPLY) : MISS;
      if (got !== expected) throw new Error(`step ${step}: lookup ${k} from ${a}:${pa} = ${got}, model ${expected}`);
      if (want) want.last = now;
      else if (ct.insertLast(now)) model.set(k, { opener: `${a}:${pa}`, last: now });
      else if (ct.size !== ct.capacity)
        throw new Error(`step ${step}: insert refused with ${ct.size} of ${ct.capacity} held`);
      if (step % 97 === 0) ct.sweep(now, 64);
      if (step % 5003 === 0) {
        const removed = ct.retain((_p, s) => s % 3 !== 0);
        let n = 0;
        for (const v of model.values()) if (Number(v.opener.split(':')[0]) % 3 === 0 && now - v.last <= 50e6) n++;
        // retain also removes stale flows of the refused openers; count only the live ones
        expect(removed).toBeGreaterThanOrEqual(n);
        for (const [key, v] of model) if (Number(v.opener.split(':')[0]) % 3 === 0) model.delete(key);
      }
      if (step % 10 === 0) {
        // a sweep over every slot (plus one step per removal) leaves exactly the live flows
        ct.sweep(now, ct.slots + ct.size);
        for (const [key, v] of model) if (now - v.last > 50e6) model.delete(key);
        if (ct.size !== model.size) throw new Error(`step ${step}: table holds ${ct.size}, model ${model.size}`);
        for (const key of model.keys())
          if (!ct.has(17, ...split(key), now)) throw new Error(`step ${step}: ${key} lost`);
      }
    }
    expect(ct.inserted).toBeGreaterThan(1000);
    expect(ct.expired).toBeGreaterThan(100);
    expect(ct.full).toBeGreaterThan(0);
  });
});

function split(key: string): [number, number, number, number] {
  const [x, y] = key.split('-');
  const [a, pa] = x.split(':').map(Number);
  const [b, pb] = y.split(':').map(Number);
  return [a, b, pa, pb];
}
