// A TCP endpoint answers its peer, so kernel-path with stack tcp is refused in an open chain
// (bad usage, naming the stage's place), and `vnflab compare` leaves its TCP variants out of an
// open chain's default list.

import { ConfigError, Costs, StageRegistry, loadProfile, validateChain } from '@vnflab/core';
import { wireStage } from '@vnflab/runtime';
import { trafficGenStage } from '@vnflab/traffic-gen';
import { backendsStage } from '@vnflab/backends';
import { kernelPathStage } from '../src/stage';

const registry = new StageRegistry().register(trafficGenStage).register(kernelPathStage).register(backendsStage);
const costs = new Costs(loadProfile('zero'));

function open(kp: Record<string, unknown>) {
  return validateChain(
    {
      name: 'open',
      profile: 'zero',
      stages: [{ stage: 'traffic-gen' }, { stage: 'kernel-path', ...kp }, { stage: 'backends' }],
    },
    registry,
  );
}

describe('stack tcp needs a closed loop', () => {
  test.each([
    [{ variant: 'linux' }, 'linux'],
    [{ variant: 'user-tcp' }, 'user-tcp'],
    [{ variant: 'kernel', settings: { stack: 'tcp' } }, 'kernel'],
  ])('%j in an open chain is refused naming stages[1]', (kp, variant) => {
    const chain = open(kp);
    expect(() => wireStage(registry, chain, 1, costs)).toThrow(ConfigError);
    expect(() => wireStage(registry, chain, 1, costs)).toThrow(
      `stages[1] (kernel-path): kernel-path: stack tcp (variant ${variant}) answers its peer, so it runs only in a closed-loop chain (loop: true, as chains/web.yaml)`,
    );
  });

  test('the UDP presets still run in an open chain', () => {
    for (const variant of ['kernel', 'bypass'])
      expect(wireStage(registry, open({ variant }), 1, costs).element.variant).toBe(variant);
  });

  test('the manifest names its loop-only variants', () => {
    expect(kernelPathStage.loopVariants).toEqual(['linux', 'user-tcp']);
  });
});
