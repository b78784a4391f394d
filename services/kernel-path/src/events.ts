// The events the kernel path counts (vnflab_events_total{event}), registered by name like drop reasons.

import { eventCodes } from '@vnflab/core';

export const EVENTS = ['interrupt', 'empty_poll', 'alloc', 'copy', 'syscall', 'context_switch'] as const;
export const Ev = eventCodes(EVENTS);
