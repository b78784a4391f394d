// The allowlist from the chain file: what it allows, what it refuses and how it says so; and
// the chain schema's `controller` section, checked with errors that point at the key.

import { join } from 'node:path';
import { ConfigError, loadChainFile, validateChain } from '@vnflab/core';
import { Allowlist, ControllerError } from '@vnflab/controller';
import { stageRegistry } from './stage-registry';

const registry = stageRegistry();
const chain = (controller: unknown): unknown => ({
  name: 'c',
  stages: [{ stage: 'traffic-gen' }, { stage: 'nic' }, { stage: 'backends' }],
  controller,
});

test('allowlisted variants resolve with their image and environment', () => {
  const c = validateChain(
    chain({ variants: { nic: { virtio: { env: { VNFLAB_SETTINGS: '{"event_idx":false}' } }, passthrough: {} } } }),
    registry,
  );
  const a = new Allowlist(c, 'chains/x.yaml');
  expect(a.stages()).toEqual(['nic']);
  expect(a.variantsOf('nic')).toEqual(['virtio', 'passthrough']);
  expect(a.resolve('nic', 'virtio')).toEqual({ image: undefined, env: { VNFLAB_SETTINGS: '{"event_idx":false}' } });
});

test('anything else is refused with 403, naming what is allowed', () => {
  const a = new Allowlist(validateChain(chain({ variants: { nic: { passthrough: {} } } }), registry), 'chains/x.yaml');
  const refused = (stage: string, variant: string): ControllerError => {
    try {
      a.resolve(stage, variant);
    } catch (e) {
      return e as ControllerError;
    }
    throw new Error('not refused');
  };
  expect(refused('nic', 'virtio')).toMatchObject({
    status: 403,
    code: 'not_allowed',
    message:
      'variant "virtio" of nic is not on the controller\'s allowlist (chains/x.yaml controller.variants.nic: passthrough)',
  });
  expect(refused('lb', 'maglev').message).toMatch(
    /stage "lb" is not on the controller's allowlist \(chains\/x.yaml controller.variants has: nic\)/,
  );
  expect(refused('nic', 'passthrough; rm -rf /')).toBeInstanceOf(ControllerError);
  const none = new Allowlist(validateChain(chain(undefined), registry));
  expect(() => none.resolve('nic', 'virtio')).toThrow(
    /no swaps are allowed: the chain file has no controller.variants section/,
  );
});

test('the chain schema checks the controller section and points at the key', () => {
  const bad = (controller: unknown): string => {
    try {
      validateChain(chain(controller), registry, 'chains/x.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };
  expect(bad({ variants: { nick: { virtio: {} } } })).toMatch(
    /controller\.variants\.nick: unknown stage \(known: traffic-gen, nic/,
  );
  expect(bad({ variants: { nic: { turbo: {} } } })).toBe(
    'chains/x.yaml: controller.variants.nic.turbo: not a variant of nic (known: passthrough, native, virtio, emulated)',
  );
  expect(bad({ variants: { nic: { virtio: { env: { VNFLAB_STAGE: 'lb' } } } } })).toMatch(
    /controller\.variants\.nic\.virtio\.env\.VNFLAB_STAGE: set by the controller itself/,
  );
  expect(bad({ variants: { nic: { virtio: { env: { 'A B': 'x' } } } } })).toMatch(
    /env\.A B: not an environment variable name/,
  );
  expect(bad({ variants: { nic: { virtio: { image: 'Bad Image' } } } })).toMatch(
    /controller\.variants\.nic\.virtio\.image/,
  );
  expect(bad({ variants: { nic: { virtio: { colour: 'blue' } } } })).toMatch(
    /controller\.variants\.nic\.virtio\.colour: unknown key/,
  );
  expect(bad({ swaps: {} })).toMatch(/controller\.swaps: unknown key \(known: variants\)/);
});

test('the default chain allowlists every variant of the stages under test', () => {
  const c = loadChainFile(join(__dirname, '..', '..', '..', 'chains', 'default.yaml'), registry);
  const a = new Allowlist(c);
  expect(a.variantsOf('nic').sort()).toEqual(['emulated', 'native', 'passthrough', 'virtio']);
  expect(a.variantsOf('kernel-path').sort()).toEqual(['bypass', 'kernel']);
  expect(a.variantsOf('lb').sort()).toEqual(['hash-mod-n', 'maglev', 'round-robin']);
});
