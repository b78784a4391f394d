// The nic stage definition for the registry (chain files, CLI, services).

import type { StageDefinition } from '@vnflab/core';
import { Nic } from './nic';
import { NIC_MODES, NicSettingsSchema } from './settings';

export const nicStage: StageDefinition = {
  stage: 'nic',
  variants: NIC_MODES,
  settings: NicSettingsSchema,
  description: 'Emulated NIC and hypervisor I/O path: native, VT-d passthrough (IOMMU), virtio (split virtqueue, vhost) or emulated e1000',
  defaultCategory: 'packet_io',
  create: (variant, settings) => new Nic(variant, settings),
};
