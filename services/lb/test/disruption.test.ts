import { HashModN, LoadBalancer, diffMappings, populate, type Member } from '@vnflab/lb';

const M = 65537;
const named = (n: number): Member[] =>
  Array.from({ length: n }, (_, i) => ({ id: i, name: `backend-${i + 1}`, weight: 1 }));

describe('disruption when one of N backends is removed: maglev versus hash mod N', () => {
  const rows: string[] = [];
  afterAll(() => {
    console.log(
      [
        'removing 1 of N, fraction of the hash space that changed backend (ideal 1/N):',
        ' N   ideal   maglev  maglev-survivors  hash-mod-n  (N-1)/N',
        ...rows,
      ].join('\n'),
    );
  });

  test.each([3, 5, 10, 20, 50, 100])('N = %i', (n) => {
    const ms = named(n);
    const gone = Math.floor(n / 2);
    const after = ms.filter((m) => m.id !== gone);
    const survivors = new Set(after.map((m) => m.id));

    const a = new Int32Array(M);
    const b = new Int32Array(M);
    populate(a, M, ms);
    populate(b, M, after);
    const mg = diffMappings(a, b, survivors);

    const h = new HashModN(M);
    h.rebuild(ms);
    const ha = h.mapping();
    h.rebuild(after);
    const hm = diffMappings(ha, h.mapping(), survivors);

    const ideal = 1 / n;
    const mgMoved = mg.moved / M;
    const mgSurv = mg.survivorsMoved / M;
    const hmMoved = hm.moved / M;
    rows.push(
      `${String(n).padStart(3)}  ${ideal.toFixed(4)}  ${mgMoved.toFixed(4)}  ${mgSurv.toFixed(4)}            ${hmMoved.toFixed(4)}      ${((n - 1) / n).toFixed(4)}`,
    );

    // Maglev: the removed backend's slots move (the ideal), and only a sliver more between survivors
    expect(mgMoved).toBeGreaterThanOrEqual(ideal - 1e-4);
    expect(mgSurv).toBeLessThan(0.01);
    expect(mgMoved - ideal).toBeLessThan(0.01);
    // hash mod N: roughly (N-1)/N of everything moves
    expect(Math.abs(hmMoved - (n - 1) / n)).toBeLessThan(0.01);
  });

  test('the element reports removal of 1 of N next to the ideal 1/N, for both algorithms', () => {
    const backends = Array.from({ length: 10 }, (_, i) => ({
      name: `web-${i + 1}`,
      address: `10.0.1.${i + 1}`,
      port: 8080,
    }));
    const vips = [{ name: 'web', address: '10.0.0.100', port: 80, backends }];
    const mg = new LoadBalancer('maglev', { vips }).removeBackend('web', 'web-5');
    const hm = new LoadBalancer('hash-mod-n', { vips }).removeBackend('web', 'web-5');
    for (const r of [mg, hm]) {
      expect(r.table).not.toBeNull();
      expect(r.table!.ideal_fraction).toBeCloseTo(0.1, 10);
      expect(r.eligible_before).toBe(10);
      expect(r.eligible_after).toBe(9);
    }
    expect(mg.table!.fraction_moved).toBeLessThan(0.11);
    expect(hm.table!.fraction_moved).toBeGreaterThan(0.85);
    console.log(
      `element report, remove 1 of 10: maglev moved ${mg.table!.fraction_moved.toFixed(4)}, hash-mod-n ${hm.table!.fraction_moved.toFixed(4)}, ideal ${mg.table!.ideal_fraction}`,
    );
  });

  test('adding a backend moves about 1/(N+1); the ideal says so', () => {
    const backends = Array.from({ length: 4 }, (_, i) => ({ name: `web-${i + 1}`, address: `10.0.1.${i + 1}` }));
    const lb = new LoadBalancer('maglev', { vips: [{ name: 'web', address: '10.0.0.100', port: 80, backends }] });
    const r = lb.addBackend('web', { name: 'web-5', address: '10.0.1.5' });
    expect(r.table!.ideal_fraction).toBeCloseTo(0.2, 10);
    expect(Math.abs(r.table!.fraction_moved - 0.2)).toBeLessThan(0.01);
  });
});
