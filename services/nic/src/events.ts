// The events the nic counts (vnflab_events_total{event}), registered by name like drop reasons.

import { eventCodes } from '@vnflab/core';

export const EVENTS = ['interrupt', 'vm_exit', 'kick', 'copy', 'dma', 'rx_missed', 'iommu_fault'] as const;
export const Ev = eventCodes(EVENTS);
