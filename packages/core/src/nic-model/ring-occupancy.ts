// The ring-occupancy gauge, declared once for every stage that has a descriptor ring (the nic,
// the kernel path's RX queue): its manifest lists it and its element reports the samples.

import type { MetricDeclaration } from '../chain/registry';

export const RING_OCCUPANCY_METRIC = {
  name: 'vnflab_ring_occupancy',
  help: 'Descriptors in use in the stage ring',
  type: 'gauge',
} as const satisfies MetricDeclaration;
