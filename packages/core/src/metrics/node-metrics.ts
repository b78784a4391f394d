// Node's default metrics (process_* and nodejs_*, under their usual names) for a process's
// registry. prom-client samples event-loop lag with a timer that fires every 10 ms unless told
// otherwise: 98 wake-ups a second in a process that has nothing else to do, about 4-8 ms of CPU
// a second at idle here (bench/RESULTS.md, "Redis Streams bus"). The lab measures what waking
// costs a stage, so its own instrument must not wake every stage a hundred times a second: lag
// is sampled every 100 ms instead (10 wake-ups a second). A stall still shows in
// nodejs_eventloop_lag_* whenever it covers a sample; short stalls are seen less often.

import { collectDefaultMetrics, type Registry } from 'prom-client';

/** How often the event-loop lag histogram takes a sample (prom-client's default is 10). */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function collectNodeMetrics(register: Registry): void {
  collectDefaultMetrics({ register, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
}
