import { StageRegistry, StageStats, createMetricsRegistry, validateChain } from '@vnflab/core';
import { trafficGenStage } from '@vnflab/traffic-gen';
import { backendsStage } from '@vnflab/backends';
import { LoadBalancer, lbBackendNames, lbStage, resolveSettings } from '@vnflab/lb';
import { flow, makeCtx, run } from './helpers';

describe('lb stage definition and settings', () => {
  test('variants maglev (default), round-robin, hash-mod-n; defaults: VIP 10.0.0.100:80 udp+tcp, web-1..3, nat', () => {
    expect(lbStage.stage).toBe('lb');
    expect([...lbStage.variants]).toEqual(['maglev', 'round-robin', 'hash-mod-n']);
    const lb = lbStage.create('maglev', {}, { costs: undefined as never, chain: 't', provided: {} }) as LoadBalancer;
    expect(lb.variant).toBe('maglev');
    expect(lb.mode).toBe('nat');
    const [vip] = lb.listBackends();
    expect(vip).toMatchObject({
      name: 'web',
      address: '10.0.0.100',
      port: 80,
      protocols: ['udp', 'tcp'],
      table_size: 65537,
    });
    expect(vip.backends.map((b) => `${b.name}=${b.address}:${b.port}/${b.weight}`)).toEqual([
      'web-1=10.0.1.1:8080/100',
      'web-2=10.0.1.2:8080/100',
      'web-3=10.0.1.3:8080/100',
    ]);
    expect(lbBackendNames()).toEqual({ '10.0.1.1': 'web-1', '10.0.1.2': 'web-2', '10.0.1.3': 'web-3' });
    expect(
      lbBackendNames({ vips: [{ address: '10.9.0.1', port: 53, backends: [{ name: 'ns-a', address: '10.9.1.1' }] }] }),
    ).toEqual({ '10.9.1.1': 'ns-a' });
  });

  test.each([
    [{ table_size: 65536 }, /lb settings: table_size: 65536 is not prime.*65521 and 65537/],
    [{ table_size: 2 }, /table_size: expected integer to be greater or equal to 3/],
    [{ mode: 'dsr' }, /mode: /],
    [{ conntrack: 5 }, /conntrack: unknown key \(known: mode, table_size, conntrack_size, idle_timeout, vips\)/],
    [
      { vips: [{ address: '10.0.0.1', port: 80, backends: [{ name: 'a', address: '10.0.1.1', wieght: 3 }] }] },
      /vips\[0\]\.backends\[0\]\.wieght: unknown key/,
    ],
    [
      {
        vips: [
          {
            address: '10.0.0.1',
            port: 80,
            backends: [
              { name: 'a', address: '10.0.1.1' },
              { name: 'b', address: '10.0.1' },
            ],
          },
        ],
      },
      /vips\[0\]\.backends\[1\]\.address: "10\.0\.1" is not an IPv4 address/,
    ],
    [
      {
        vips: [
          {
            address: '10.0.0.1',
            port: 80,
            backends: [
              { name: 'a', address: '10.0.1.1' },
              { name: 'a', address: '10.0.1.2' },
            ],
          },
        ],
      },
      /vips\[0\]\.backends\[1\]\.name: "a" is used twice in VIP "vip-0"/,
    ],
    [
      { vips: [{ address: '10.0.0.1', port: 80, backends: [{ name: 'a', address: '10.0.1.1', weight: 1001 }] }] },
      /vips\[0\]\.backends\[0\]\.weight: expected integer to be less or equal to 1000/,
    ],
    [
      {
        vips: [
          { address: '10.0.0.1', port: 80, backends: [] },
          { address: '10.0.0.1', port: 80, protocols: ['tcp'], backends: [] },
        ],
      },
      /vips\[1\]: 10\.0\.0\.1:80\/tcp is already served by VIP "vip-0"/,
    ],
    [{ vips: [{ address: '10.0.0.1', backends: [] }] }, /vips\[0\]\.port: is required/],
  ])('bad settings %j are refused naming the key', (settings, msg) => {
    expect(() => resolveSettings(settings)).toThrow(msg);
    expect(() => new LoadBalancer('maglev', settings)).toThrow(msg);
  });

  test('an unknown variant is refused with the known ones', () => {
    expect(() => new LoadBalancer('random', {})).toThrow(
      /variant: "random" is not an lb algorithm \(known: maglev, round-robin, hash-mod-n\)/,
    );
  });

  test('a chain file with an lb stage is validated against its schema, errors pointing into the stage', () => {
    const reg = new StageRegistry().register(trafficGenStage).register(lbStage).register(backendsStage);
    const chain = (settings: unknown) => ({
      name: 't',
      stages: [{ stage: 'traffic-gen' }, { stage: 'lb', variant: 'hash-mod-n', settings }, { stage: 'backends' }],
    });
    expect(validateChain(chain({ mode: 'ipip' }), reg).stages[1]).toMatchObject({ stage: 'lb', variant: 'hash-mod-n' });
    expect(() => validateChain(chain({ tablesize: 7 }), reg)).toThrow(/stages\[1\]\.settings\.tablesize: unknown key/);
  });

  test('configure changes mode, idle timeout and table size at run time; anything else is refused', () => {
    const lb = new LoadBalancer('maglev', {});
    lb.configure({ mode: 'ipip', idle_timeout: 5, table_size: 5003 });
    expect(lb.mode).toBe('ipip');
    expect(lb.conntrack!.idleNs).toBe(5e9);
    expect(lb.listBackends()[0].table_size).toBe(5003);
    expect(() => lb.configure({ vips: [] })).toThrow(/vips: cannot change at run time \(use the backend operations\)/);
    expect(() => lb.configure({ table_size: 5000 })).toThrow(/table_size: 5000 is not prime/);
    expect(() => lb.configure({ mode: 'tunnel' })).toThrow(/mode:/);
  });
});

describe('lb metrics', () => {
  test('per-backend packets labelled by name (never address), conntrack, rebuilds, moved entries; variant = algorithm', async () => {
    const lb = new LoadBalancer('hash-mod-n', {});
    const stats = new StageStats('lb', lb.variant);
    run(
      (b) => lb.process(b, { ...makeCtx(), stats }),
      Array.from({ length: 300 }, (_, i) => flow(i)),
    );
    const names = lb.metrics().map((m) => m.name);
    lb.removeBackend('web', 'web-3');
    run(
      (b) => lb.process(b, { ...makeCtx(), stats }),
      Array.from({ length: 300 }, (_, i) => flow(i)),
    );
    expect(lb.metrics().map((m) => m.name)).toEqual(names); // fixed set: registered once at scrape setup
    expect(new LoadBalancer('maglev', { conntrack_size: 0 }).metrics().map((m) => m.name)).toEqual(names);

    const reg = createMetricsRegistry({ stages: () => [stats], e2e: () => [], extra: () => lb.metrics() });
    const text = await reg.metrics();
    const line = (re: RegExp): number => {
      const m = re.exec(text);
      if (!m)
        throw new Error(
          `no sample matching ${re} in\n${text
            .split('\n')
            .filter((l) => l.startsWith('vnflab_lb'))
            .join('\n')}`,
        );
      return Number(m[1]);
    };
    const per = ['web-1', 'web-2', 'web-3'].map((n) =>
      line(
        new RegExp(
          `vnflab_lb_backend_packets_total\\{stage="lb",variant="hash-mod-n",vip="web",backend="${n}"\\} (\\d+)`,
        ),
      ),
    );
    expect(per.reduce((a, b) => a + b, 0)).toBe(600); // web-3's count stays after its removal
    expect(line(/vnflab_lb_conntrack_misses_total\{stage="lb",variant="hash-mod-n"\} (\d+)/)).toBe(300 + per[2]); // web-3's flows were forgotten and picked again
    expect(line(/vnflab_lb_conntrack_hits_total\{[^}]*\} (\d+)/)).toBe(300 - per[2]);
    expect(line(/vnflab_lb_conntrack_entries\{[^}]*\} (\d+)/)).toBe(300);
    expect(line(/vnflab_lb_table_rebuilds_total\{stage="lb",variant="hash-mod-n",vip="web"\} (\d+)/)).toBe(2);
    expect(line(/vnflab_lb_entries_moved_ratio\{[^}]*\} ([\d.]+)/)).toBeGreaterThan(0.6);
    expect(line(/vnflab_lb_entries_moved_ideal_ratio\{[^}]*\} ([\d.]+)/)).toBeCloseTo(1 / 3, 6);
    expect(text).toMatch(/vnflab_lb_table_build_seconds\{[^}]*vip="web"\} [\d.e-]+/);
    // bounded labels: no address anywhere in an lb label
    for (const l of text.split('\n').filter((x) => x.startsWith('vnflab_lb')))
      expect(l).not.toMatch(/"\d+\.\d+\.\d+\.\d+"/);
  });
});
