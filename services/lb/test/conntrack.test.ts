import { PROTO_UDP, Rng, ipToString, parseFrame, ParsedFrame } from '@vnflab/core';
import { ConnTrack, LoadBalancer, type LbSettings } from '@vnflab/lb';
import { flow, makeCtx, run } from './helpers';

const SEC = 1e9;

describe('ConnTrack: bounded open-addressing table with an intrusive LRU', () => {
  const key = (i: number) => ({
    h: Math.imul(i + 1, 0x9e3779b1) >>> 0,
    src: i,
    dst: 7,
    ports: (i * 13) >>> 0,
    proto: PROTO_UDP,
  });

  test('agrees with a Map under random inserts, lookups and expiries, never past its bound', () => {
    const cap = 512;
    const ct = new ConnTrack(cap, 0);
    const ref = new Map<number, number>(); // flow -> backend, insertion = LRU order
    const rng = new Rng(3);
    let wrong = 0;
    let over = 0;
    for (let step = 0; step < 50000; step++) {
      const i = rng.below(2000);
      const k = key(i);
      const got = ct.lookup(k.h, k.src, k.dst, k.ports, k.proto, step);
      const want = ref.get(i);
      if (got !== (want ?? -1)) wrong++;
      if (want !== undefined) {
        ref.delete(i);
        ref.set(i, want); // most recent
      } else {
        if (ref.size === cap) ref.delete(ref.keys().next().value as number); // LRU goes
        const b = rng.below(10);
        ct.insert(k.h, k.src, k.dst, k.ports, k.proto, b, step);
        ref.set(i, b);
      }
      if (ct.size > cap) over++;
    }
    expect(wrong).toBe(0);
    expect(over).toBe(0);
    expect(ct.size).toBe(ref.size);
    expect(ct.hits + ct.misses).toBe(50000);
    expect(ct.evictions).toBe(ct.inserts - cap);
  });

  test('colliding hashes: deleting from the middle of a probe run keeps the others findable', () => {
    const ct = new ConnTrack(64, 0);
    for (let i = 0; i < 40; i++) ct.insert(5, i, 1, 1, 17, i, 0); // all in one bucket chain
    ct.sweep((_h, b) => b % 3 === 0); // remove every third
    for (let i = 0; i < 40; i++) expect(ct.find(5, i, 1, 1, 17, 0)).toBe(i % 3 === 0 ? -1 : i);
    expect(ct.size).toBe(40 - 14);
    expect(ct.purged).toBe(14);
  });

  test('idle flows expire from the LRU tail; active ones stay', () => {
    const ct = new ConnTrack(100, 10);
    for (let i = 0; i < 10; i++) {
      const k = key(i);
      ct.insert(k.h, k.src, k.dst, k.ports, k.proto, i, 0);
    }
    const k0 = key(0);
    expect(ct.lookup(k0.h, k0.src, k0.dst, k0.ports, k0.proto, 8 * SEC)).toBe(0); // flow 0 stays active
    expect(ct.expire(12 * SEC)).toBe(9);
    expect(ct.size).toBe(1);
    expect(ct.find(k0.h, k0.src, k0.dst, k0.ports, k0.proto, 12 * SEC)).toBe(0);
    // and an idle flow met by a lookup before the sweep counts as a miss
    expect(ct.lookup(k0.h, k0.src, k0.dst, k0.ports, k0.proto, 30 * SEC)).toBe(-1);
    expect(ct.expired).toBe(10);
  });
});

describe('connection tracking in the lb element', () => {
  const ip = new ParsedFrame();
  /** Backend address per packet after NAT. */
  const dsts = (lb: LoadBalancer, flows: ReturnType<typeof flow>[]) => {
    const ctx = makeCtx(lb.variant);
    const out: string[] = [];
    for (const b of run((x) => lb.process(x, ctx), flows)) {
      for (let i = 0; i < b.count; i++) {
        const ok = b.alive(i) && parseFrame(b.buf, b.offset(i), b.length(i), ip) === 0;
        out.push(ok ? ipToString(ip.dstIp) : 'dropped or unparsable');
      }
    }
    expect(out).not.toContain('dropped or unparsable');
    return out;
  };
  const settings = (over: Partial<LbSettings> = {}): LbSettings => ({
    vips: [
      {
        name: 'web',
        address: '10.0.0.100',
        port: 80,
        backends: [1, 2, 3].map((i) => ({ name: `web-${i}`, address: `10.0.1.${i}`, port: 8080 })),
      },
    ],
    ...over,
  });
  const flows = Array.from({ length: 3000 }, (_, i) => flow(i));

  test('existing flows keep their backend across a backend addition (and would not without tracking)', () => {
    for (const algorithm of ['maglev', 'round-robin', 'hash-mod-n']) {
      const lb = new LoadBalancer(algorithm, settings());
      const before = dsts(lb, flows);
      const report = lb.addBackend('web', { name: 'web-4', address: '10.0.1.4', port: 8080 });
      expect(report.flows.tracked).toBe(3000);
      expect(report.flows.moved).toBe(0);
      const after = dsts(lb, flows);
      expect(after).toEqual(before);
      // new flows do reach the new backend
      const fresh = dsts(
        lb,
        Array.from({ length: 400 }, (_, i) => flow(10000 + i)),
      );
      expect(fresh).toContain('10.0.1.4');
      if (algorithm !== 'round-robin') {
        // what the table alone would have done: about a quarter of the flows remapped
        expect(report.flows.remapped_without_conntrack!).toBeGreaterThan(0.15);
        const bare = new LoadBalancer(algorithm, settings({ conntrack_size: 0 }));
        const b0 = dsts(bare, flows);
        bare.addBackend('web', { name: 'web-4', address: '10.0.1.4', port: 8080 });
        const b1 = dsts(bare, flows);
        const moved = b0.filter((d, i) => d !== b1[i]).length / flows.length;
        expect(moved).toBeCloseTo(report.flows.remapped_without_conntrack!, 2);
      }
    }
  });

  test("a removed or downed backend's flows move, the rest stay; the report counts them", () => {
    const lb = new LoadBalancer('maglev', settings());
    const before = dsts(lb, flows);
    const onTwo = before.filter((d) => d === '10.0.1.2').length;
    const r = lb.removeBackend('web', 'web-2');
    expect(r.flows.moved).toBe(onTwo);
    expect(r.flows.fraction_moved).toBeCloseTo(onTwo / 3000, 10);
    expect(r.flows.ideal_fraction).toBeCloseTo(onTwo / 3000, 10);
    expect(Math.abs(r.flows.fraction_moved - 1 / 3)).toBeLessThan(0.05);
    const after = dsts(lb, flows);
    expect(after.filter((d, i) => (before[i] === '10.0.1.2' ? d === before[i] : d !== before[i]))).toEqual([]);
    // marking a backend down moves its flows the same way
    const onThree = after.filter((d) => d === '10.0.1.3').length;
    const down = lb.markDown('web', 'web-3');
    expect(down.flows.moved).toBe(onThree);
    expect(dsts(lb, flows)).not.toContain('10.0.1.3');
    expect(lb.markUp('web', 'web-3').flows.moved).toBe(0);
  });

  test('drain keeps tracked flows where they are and sends no new flow there', () => {
    const lb = new LoadBalancer('maglev', settings());
    const before = dsts(lb, flows);
    const r = lb.drainBackend('web', 'web-1');
    expect(r.flows.moved).toBe(0);
    expect(r.table!.ideal_fraction).toBeCloseTo(1 / 3, 10);
    expect(dsts(lb, flows)).toEqual(before);
    expect(
      dsts(
        lb,
        Array.from({ length: 500 }, (_, i) => flow(20000 + i)),
      ),
    ).not.toContain('10.0.1.1');
  });

  test('idle flows expire: after the timeout the same flows are misses again', () => {
    const clock = { t: 1000 * SEC };
    const lb = new LoadBalancer('maglev', settings({ idle_timeout: 5 }), { clock: () => clock.t });
    const ct = lb.conntrack!;
    dsts(lb, flows.slice(0, 100));
    expect(ct.size).toBe(100);
    expect(ct.misses).toBe(100);
    clock.t += 3 * SEC;
    dsts(lb, flows.slice(0, 50)); // refresh half
    expect(ct.hits).toBe(50);
    clock.t += 3 * SEC; // 6 s idle for the other half, 3 s for the refreshed ones
    dsts(lb, flows.slice(200, 201));
    expect(ct.expired).toBe(50);
    expect(ct.size).toBe(51);
    expect(lb.trackedBackend(ipToString(flows[0].src), flows[0].sport, '10.0.0.100', 80, PROTO_UDP)).not.toBeNull();
    expect(lb.trackedBackend(ipToString(flows[99].src), flows[99].sport, '10.0.0.100', 80, PROTO_UDP)).toBeNull();
  });

  test('the table never grows past its bound: LRU evictions are counted', () => {
    const lb = new LoadBalancer('maglev', settings({ conntrack_size: 1000 }));
    const ct = lb.conntrack!;
    dsts(lb, flows); // 3000 flows through 1000 entries
    expect(ct.size).toBe(1000);
    expect(ct.evictions).toBe(2000);
    expect(ct.misses).toBe(3000);
    dsts(lb, flows.slice(2000)); // the most recent 1000 are all hits
    expect(ct.hits).toBe(1000);
    expect(ct.size).toBe(1000);
  });

  test('round-robin without tracking scatters a flow over backends; with tracking it sticks', () => {
    const one = Array.from({ length: 6 }, () => flow(42));
    expect(new Set(dsts(new LoadBalancer('round-robin', settings({ conntrack_size: 0 })), one)).size).toBe(3);
    expect(new Set(dsts(new LoadBalancer('round-robin', settings()), one)).size).toBe(1);
  });
});
