// The memory budget checked before a chain is built: settings that would exhaust the machine
// are refused at once, as bad usage (exit 2), in one line naming the estimate and the key; the
// shipped chains pass.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  DEFAULT_MEMORY_BUDGET,
  checkMemoryBudget,
  checkStageMemoryBudget,
  discoverStages,
  estimateChainMemory,
  loadChainFile,
  memoryBudget,
  parseByteSize,
  validateChain,
} from '@vnflab/core';
import { parse as parseYaml } from 'yaml';
import { ROOT, vnflab } from './helpers/cli';

const registry = discoverStages();
const dir = mkdtempSync(join(tmpdir(), 'vnflab-budget-'));
const defaultYaml = readFileSync(join(ROOT, 'chains', 'default.yaml'), 'utf8');
const GiB = 2 ** 30;

/** The default chain with `edit` applied to its parsed form, as a chain file. */
interface ChainDoc {
  batch_size?: number;
  bus?: { bound: number; policy: string };
  stages: { stage: string; settings: Record<string, unknown> }[];
}

function chainFile(name: string, edit: (c: ChainDoc) => void): string {
  const c = parseYaml(defaultYaml) as ChainDoc;
  edit(c);
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, JSON.stringify(c)); // JSON is YAML
  return path;
}

const bigBatches = chainFile('big-batches', (c) => {
  c.batch_size = 1024;
  c.bus = { bound: 100000, policy: 'block' };
});

const bigTables = chainFile('big-tables', (c) => {
  const lb = c.stages.find((s) => s.stage === 'lb')!;
  lb.settings.table_size = 16777213;
  lb.settings.vips = Array.from({ length: 64 }, (_, i) => ({
    name: `vip-${i}`,
    address: `10.0.${100 + Math.floor(i / 32)}.${i % 32}`,
    port: 80,
    backends: [{ name: 'b-1', address: `10.1.${i}.1` }],
  }));
});

function expectRefused(args: string[], key: RegExp): void {
  const t0 = performance.now();
  const r = vnflab(args, { env: { VNFLAB_MEMORY_BUDGET: '' } });
  // refused before anything was allocated: no 5 GB, no minutes of swapping
  expect(performance.now() - t0).toBeLessThan(30000);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(
    /^vnflab: chain "default": its settings need an estimated [\d.]+ (GiB|TiB), over the memory budget/,
  );
  expect(r.stderr).toMatch(key);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('the memory budget', () => {
  test('1024-packet batches of 1518 B with 100000 batches per hop are refused at once, naming both keys', () => {
    expectRefused(['run', '--config', bigBatches, '--size', '1518', '--duration', '30'], /batch_size, bus\.bound/);
    // the estimate: 400005 batches of 1024 x (32 + 32 + 1518) B + 48 = 604 GiB, and it is the biggest part
    const c = loadChainFile(bigBatches, registry);
    const parts = estimateChainMemory(c, registry);
    expect(parts[0].key).toBe('batch_size, bus.bound');
    expect(parts[0].bytes).toBe((100000 * 4 + 5) * (56 + 1024 * (32 + 32 + 1518)));
  });

  test('64 VIPs of 16777213-slot Maglev tables are refused at once, naming the lb stage and table_size', () => {
    expectRefused(
      ['run', '--config', bigTables, '--duration', '120'],
      /stages\[3\]\.settings\.table_size 8 GiB \(lb: 64 VIPs/,
    );
    // as services too: refused before any stage process starts (nothing listens on port 1)
    expectRefused(
      ['run', '--bus', 'redis://127.0.0.1:1', '--config', bigTables, '--duration', '120'],
      /stages\[3\]\.settings\.table_size/,
    );
    // and the lb alone as a service: its own tables are over the budget (the batches wait in Redis)
    const serve = vnflab(['serve', '--stage', 'lb', '--config', bigTables, '--bus', 'redis://127.0.0.1:1'], {
      env: { VNFLAB_MEMORY_BUDGET: '' },
    });
    expect(serve.status).toBe(2);
    expect(serve.stderr).toMatch(
      /^vnflab: lb: stage lb of chain "default": its settings need an estimated 8 GiB.*stages\[3\]\.settings\.table_size/,
    );
    const one = checkStageMemoryBudget(loadChainFile(bigBatches, registry), registry, 3, {});
    expect(one).toBeLessThan(64 * 2 ** 20); // the lb of the big-batch chain holds one batch, not 400005
    expect(one).toBeGreaterThan(56 + 1024 * 1582);
    const parts = estimateChainMemory(loadChainFile(bigTables, registry), registry);
    const table = parts.find((p) => p.key === 'stages[3].settings.table_size');
    expect(table?.bytes).toBe(64 * 16777213 * 4 * 2);
  });

  test('the default chain and chains/firewall.yaml pass the default budget, with every large part counted', () => {
    for (const file of ['default.yaml', 'firewall.yaml']) {
      const c = loadChainFile(join(ROOT, 'chains', file), registry);
      const total = checkMemoryBudget(c, registry, {});
      const keys = estimateChainMemory(c, registry).map((p) => p.key);
      expect(keys).toEqual(
        expect.arrayContaining([
          'batch_size, bus.bound',
          'stages[1].settings.ring_size',
          expect.stringMatching(/^stages\[\d\]\.settings\.table_size$/),
          expect.stringMatching(/^stages\[\d\]\.settings\.conntrack_size$/),
        ]),
      );
      // at least the lb's two 65537-slot tables and the nic's 1024 2 KiB buffers, well under 2 GiB
      expect(total).toBeGreaterThan(2 * 65537 * 4 + 1024 * 2048);
      expect(total).toBeLessThan(256 * 2 ** 20);
    }
    const fw = loadChainFile(join(ROOT, 'chains', 'firewall.yaml'), registry);
    expect(estimateChainMemory(fw, registry).map((p) => p.key)).toContain('stages[3].settings.conntrack_size');
  });

  test('the default budget is half the machine up to 2 GiB; memory_budget and VNFLAB_MEMORY_BUDGET change it', () => {
    const c = loadChainFile(join(ROOT, 'chains', 'default.yaml'), registry);
    expect(memoryBudget(c, {}, 64 * GiB).bytes).toBe(DEFAULT_MEMORY_BUDGET);
    expect(memoryBudget(c, {}, 2 * GiB).bytes).toBe(GiB);
    const withKey = validateChain({ ...(parseYaml(defaultYaml) as object), memory_budget: '700GiB' }, registry);
    expect(memoryBudget(withKey, {}, 64 * GiB)).toEqual({ bytes: 700 * GiB, source: 'memory_budget' });
    // the environment wins over the chain file
    expect(memoryBudget(withKey, { VNFLAB_MEMORY_BUDGET: '1MiB' }).bytes).toBe(2 ** 20);
    expect(() => checkMemoryBudget(c, registry, { VNFLAB_MEMORY_BUDGET: '1MiB' })).toThrow(
      /over the memory budget of 1 MiB \(VNFLAB_MEMORY_BUDGET\)/,
    );
    // raised far enough, the big-batch chain passes the check (it is not run)
    const big = validateChain(
      { ...(parseYaml(readFileSync(bigBatches, 'utf8')) as object), memory_budget: '1TiB' },
      registry,
    );
    expect(checkMemoryBudget(big, registry, {})).toBeGreaterThan(600 * GiB);
  });

  test('a bad budget is refused naming its key', () => {
    const c = loadChainFile(join(ROOT, 'chains', 'default.yaml'), registry);
    expect(() => memoryBudget(c, { VNFLAB_MEMORY_BUDGET: 'lots' })).toThrow(ConfigError);
    expect(() => memoryBudget(c, { VNFLAB_MEMORY_BUDGET: 'lots' })).toThrow(
      /^VNFLAB_MEMORY_BUDGET: "lots" is not a size/,
    );
    expect(() => validateChain({ ...(parseYaml(defaultYaml) as object), memory_budget: '-3G' }, registry)).toThrow(
      /memory_budget: "-3G" is not a size/,
    );
    const r = vnflab(['run', '--count', '10'], { env: { VNFLAB_MEMORY_BUDGET: '12 parsecs' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^vnflab: VNFLAB_MEMORY_BUDGET: "12 parsecs" is not a size/);
  });

  test('sizes are read with binary units', () => {
    expect(parseByteSize('2147483648')).toBe(2 * GiB);
    expect(parseByteSize('512MiB')).toBe(512 * 2 ** 20);
    expect(parseByteSize('4 GiB')).toBe(4 * GiB);
    expect(parseByteSize('1.5G')).toBe(1.5 * GiB);
    expect(parseByteSize('64k')).toBe(65536);
    expect(parseByteSize(4096)).toBe(4096);
    for (const bad of ['', '0', 'GiB', '1 XB', '-1', '1e9']) expect(parseByteSize(bad)).toBeNull();
  });
});
