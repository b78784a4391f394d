// The events the generator counts (vnflab_events_total{event}): the copy of a replayed frame.

import { eventCodes } from '@vnflab/core';

export const EVENTS = ['copy'] as const;
export const Ev = eventCodes(EVENTS);
