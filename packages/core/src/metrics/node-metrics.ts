// Node's default metrics (process_* and nodejs_*, under their usual names) for a process's
// registry. prom-client samples event-loop lag with a timer that fires every 10 ms unless told
// otherwise: 98 wake-ups a second in a process that has nothing else to do, about 4-8 ms of CPU
// a second at idle here (bench/RESULTS.md, "Redis Streams bus"). The lab measures what waking
// costs a stage, so its own instrument must not wake every stage a hundred times a second: lag
// is sampled every 100 ms instead (10 wake-ups a second). A stall still shows in
// nodejs_eventloop_lag_* whenever it covers a sample; short stalls are seen less often.
// Beside them, the kernel's own account of the event loop's waits for a CPU (run-queue.ts), which
// no timer of the process can see: vnflab_runqueue_wait_seconds_total and vnflab_run_periods_total.

import { Counter, collectDefaultMetrics, type Registry } from 'prom-client';
import { readRunQueue, type RunQueueReading } from '../cpu/run-queue';

/** How often the event-loop lag histogram takes a sample (prom-client's default is 10). */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function collectNodeMetrics(register: Registry): void {
  collectDefaultMetrics({ register, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  if (!readRunQueue()) return; // not Linux, or a kernel without scheduler statistics
  // read when scraped: the counters are the kernel's, so each collect sets them to its reading
  const kernelCounter = (name: string, help: string, value: (r: RunQueueReading) => number): void => {
    new Counter({
      name,
      help,
      registers: [register],
      collect() {
        const r = readRunQueue();
        if (!r) return;
        this.reset();
        this.inc(value(r));
      },
    });
  };
  kernelCounter(
    'vnflab_runqueue_wait_seconds_total',
    "Time this process's event loop was ready to run and waited for a CPU other processes held (/proc/self/schedstat)",
    (r) => r.waitNs / 1e9,
  );
  kernelCounter(
    'vnflab_run_periods_total',
    "Times this process's event loop got a CPU (each wake-up or preemption starts one; /proc/self/schedstat)",
    (r) => r.periods,
  );
}
