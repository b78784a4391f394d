import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { COST_NAMES, Costs, listProfiles, loadProfile, validateProfile } from '@vnflab/core';

describe('cost profiles', () => {
  test('every profile gives every cost with a source; zero is all zeros', () => {
    expect(listProfiles()).toEqual(expect.arrayContaining(['zero', 'linux-3.10-xeon', 'linux-kpti']));
    for (const name of listProfiles()) {
      const p = loadProfile(name);
      for (const c of COST_NAMES) {
        expect(p.costs[c].ns).toBeGreaterThanOrEqual(0);
        expect(p.costs[c].source.length).toBeGreaterThan(5);
      }
    }
    const zero = new Costs(loadProfile('zero'));
    for (const c of COST_NAMES) expect(zero.ns[c]).toBe(0);
  });

  test('bad profiles are refused with the key named', () => {
    expect(() => loadProfile('nope')).toThrow(/unknown cost profile "nope" \(available: /);
    expect(() => validateProfile({ name: 'x', description: '', costs: {} }, 'p')).toThrow('p: costs.vm_exit is missing');
    const costs = Object.fromEntries(COST_NAMES.map((c) => [c, { ns: 1, source: 'a paper' }]));
    expect(() => validateProfile({ name: 'x', description: '', costs: { ...costs, vm_exit: { ns: -1, source: 's' } } }, 'p')).toThrow('costs.vm_exit.ns must be a number >= 0');
    expect(() => validateProfile({ name: 'x', description: '', costs: { ...costs, warp: { ns: 1, source: 's' } } }, 'p')).toThrow('unknown cost "warp"');
  });

  test('the calibrated spin: a requested 1 us measures within 10 % (median of 21 runs of 200 spins, plain node)', () => {
    // Measured in a plain node process, as the stages run: inside Jest's module sandbox every
    // clock read crosses a VM context and costs several times more. Other test files may take
    // the CPU mid-measurement, which only ever reads high, so a contended attempt is repeated.
    const script = `
      const { spendNs } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))});
      const { performance } = require('node:perf_hooks');
      for (let i = 0; i < 2000; i++) spendNs(1000);
      const medians = [];
      for (let attempt = 0; attempt < 5; attempt++) {
        const runs = [];
        for (let r = 0; r < 21; r++) {
          const t0 = performance.now();
          for (let i = 0; i < 200; i++) spendNs(1000);
          runs.push(((performance.now() - t0) * 1e6) / 200);
        }
        runs.sort((a, b) => a - b);
        medians.push(Math.round(runs[10]));
        if (runs[10] > 900 && runs[10] < 1100) break;
      }
      console.log(JSON.stringify(medians));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const medians = JSON.parse(r.stdout) as number[];
    expect({ medians_ns: medians, within_10_percent: medians.some((m) => m > 900 && m < 1100) }).toEqual({ medians_ns: medians, within_10_percent: true });
  });
});
