// The events the web server counts (vnflab_events_total{event}), registered by name.

import { eventCodes } from '@vnflab/core';

export const EVENTS = ['request', 'response_2xx', 'response_4xx'] as const;
export const Ev = eventCodes(EVENTS);
