// Settings: the schema, the mode presets, and errors that name the key.

import { Value } from '@sinclair/typebox/value';
import { nicStage } from '../src';
import { Nic } from '../src/nic';
import { NicSettingsSchema, resolveNicConfig } from '../src/settings';

describe('nic settings', () => {
  test('the stage definition: variants with passthrough first, a closed schema', () => {
    expect(nicStage.stage).toBe('nic');
    expect(nicStage.variants).toEqual(['passthrough', 'native', 'virtio', 'emulated']);
    expect(NicSettingsSchema.additionalProperties).toBe(false);
    expect(Value.Check(nicStage.settings, { ring_size: 256, event_idx: true })).toBe(true);
    expect(Value.Check(nicStage.settings, { ring_sz: 256 })).toBe(false);
  });

  test('modes are presets of the same toggles', () => {
    expect(resolveNicConfig('native')).toMatchObject({
      hostBackend: false,
      virtqueue: false,
      registerTraps: false,
      iommu: false,
      irqDelivery: 'host',
    });
    expect(resolveNicConfig('passthrough')).toMatchObject({
      hostBackend: false,
      virtqueue: false,
      registerTraps: false,
      iommu: true,
      irqDelivery: 'posted',
      moderationCount: 32,
    });
    expect(resolveNicConfig('virtio')).toMatchObject({
      hostBackend: true,
      virtqueue: true,
      registerTraps: false,
      iommu: false,
      irqDelivery: 'exit',
      eventIdx: true,
      moderationCount: 0,
    });
    expect(resolveNicConfig('emulated')).toMatchObject({
      hostBackend: true,
      virtqueue: false,
      registerTraps: true,
      iommu: false,
      irqDelivery: 'exit',
    });
    expect(resolveNicConfig('passthrough', { iommu: false, interrupt_delivery: 'exit' })).toMatchObject({
      iommu: false,
      irqDelivery: 'exit',
    });
  });

  test.each([
    ['passthrough', { ring_size: 100 }, /settings\.ring_size: 100 must be a power of two/],
    ['passthrough', { ring_size: 8192 }, /settings\.ring_size: /],
    ['passthrough', { ring_size: 2 }, /settings\.ring_size: /],
    ['passthrough', { rings: 8 }, /settings\.rings: unknown key/],
    ['passthrough', { event_idx: true }, /settings\.event_idx: only a virtio queue/],
    ['native', { interrupt_delivery: 'posted' }, /settings\.interrupt_delivery: native has no hypervisor/],
    ['passthrough', { interrupt_delivery: 'sometimes' }, /settings\.interrupt_delivery/],
    ['virtio', { irq_moderation_count: 8 }, /settings\.irq_moderation_count: virtio notifies/],
    ['virtio', { irq_moderation_usecs: 8 }, /settings\.irq_moderation_usecs: virtio notifies/],
    ['passthrough', { irq_moderation_count: -1 }, /settings\.irq_moderation_count/],
    ['sriov', {}, /variant "sriov" is unknown/],
  ])('%s %j is refused with a message naming the key', (mode, settings, re) => {
    expect(() => new Nic(mode, settings)).toThrow(re);
  });
});
