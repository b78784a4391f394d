// The nic stage manifest (chain files, CLI, services).

import { RING_OCCUPANCY_METRIC, type StageDefinition } from '@vnflab/core';
import { EVENTS } from './events';
import { nicMemory } from './memory';
import { Nic } from './nic';
import { NIC_MODES, NicSettingsSchema } from './settings';

export const nicStage: StageDefinition = {
  stage: 'nic',
  role: 'element',
  variants: NIC_MODES,
  settings: NicSettingsSchema,
  description:
    'Emulated NIC and hypervisor I/O path: native, VT-d passthrough (IOMMU), virtio (split virtqueue, vhost) or emulated e1000',
  defaultCategory: 'packet_io',
  flags: [{ name: 'nic', kind: 'variant', values: NIC_MODES.join('|') }],
  events: EVENTS,
  reasons: ['rx_missed', 'iommu_fault', 'tx_ring_full'],
  metrics: [RING_OCCUPANCY_METRIC],
  create: (variant, settings) => new Nic(variant, settings),
  memoryBytes: nicMemory,
};
