// Every stage's manifest says what the stage does: the drop reasons its code registers are the
// ones it declares, its variant flag offers exactly its variants, and its setting flags turn a
// good value into settings its schema accepts and refuse a bad one naming the flag.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Value, discoverStages, knownEvents, stagePackages } from '@vnflab/core';

const registry = discoverStages();
const dirOf = new Map(stagePackages().map((p) => [p.dir.split(/[\\/]/).pop()!, p.dir]));

describe.each(registry.all().map((d) => [d.stage, d] as const))('%s', (stage, def) => {
  test('declares every drop reason its code registers', () => {
    const src = join(dirOf.get(stage)!, 'src');
    const used = new Set<string>();
    for (const f of readdirSync(src).filter((n) => n.endsWith('.ts'))) {
      for (const m of readFileSync(join(src, f), 'utf8').matchAll(/reasonCode\('([a-z0-9_]+)'\)/g)) used.add(m[1]);
    }
    expect([...used].filter((r) => !(def.reasons ?? []).includes(r))).toEqual([]);
  });

  test('its events are registered', () => {
    for (const e of def.events ?? []) expect(knownEvents()).toContain(e);
  });

  test('a variant flag offers exactly the variants; setting flags check their values', () => {
    for (const f of def.flags ?? []) {
      if (f.kind === 'variant') {
        expect(f.values.split('|')).toEqual([...def.variants]);
        continue;
      }
      // N stands for a number: napi:N, or a count flag's N
      const good = f.values.split('|')[0].replace(':N', ':8').replace(/^N$/, '8');
      const settings = f.toSettings!(good);
      expect([...Value.Errors(def.settings, settings)]).toEqual([]);
      expect(() => f.toSettings!('no-such-value')).toThrow(new RegExp(`^--${f.name}: "no-such-value"`));
    }
  });
});

test('the stages cover a chain: a source, elements and a sink', () => {
  const roles = registry.all().map((d) => d.role);
  expect(roles).toContain('source');
  expect(roles).toContain('element');
  expect(roles).toContain('sink');
});
