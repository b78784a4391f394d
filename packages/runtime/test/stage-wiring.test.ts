import { Cat, Costs, StageRegistry, loadProfile, type ResolvedChain, type StageDefinition } from '@vnflab/core';
import { Type } from '@sinclair/typebox';
import { wireStage } from '@vnflab/runtime';

const settings = Type.Object({}, { additionalProperties: false });
const source: StageDefinition = {
  stage: 'src',
  role: 'source',
  variants: ['a'],
  settings,
  description: '',
  defaultCategory: 'packet_io',
  create: (variant) => ({ stage: 'src', variant, sent: 0, done: true, fill: () => 0, waitMs: () => 0, stop: () => {} }),
};
const element: StageDefinition = {
  stage: 'el',
  role: 'element',
  variants: ['x', 'y'],
  settings,
  description: '',
  defaultCategory: 'no-such-category',
  create: (variant) => ({ stage: 'el', variant, process: () => {} }),
};
const registry = new StageRegistry().register(source).register(element);
const chain = (...stages: string[]): ResolvedChain => ({
  name: 't',
  description: '',
  profile: 'zero',
  batchSize: 8,
  bus: { bound: 4, policy: 'block' },
  stages: stages.map((s, i) => ({
    stage: s,
    name: `${s}${i}`,
    variant: registry.get(s).variants[0],
    replicas: 1,
    settings: {},
  })),
});
const costs = new Costs(loadProfile('zero'));

test('the first stage must be a source, and a source only first', () => {
  const ok = chain('src', 'el');
  expect(wireStage(registry, ok, 0, costs)).toMatchObject({ source: true, defaultCategory: Cat.packet_io });
  // an unknown category falls back to app
  expect(wireStage(registry, ok, 1, costs)).toMatchObject({ source: false, defaultCategory: Cat.app });
  expect(wireStage(registry, ok, 1, costs, 'y').element.variant).toBe('y');
  expect(() => wireStage(registry, chain('el', 'el'), 0, costs)).toThrow('el0: the first stage must be a source');
  expect(() => wireStage(registry, chain('src', 'src'), 1, costs)).toThrow(
    'src1: a source can only be the first stage',
  );
});
