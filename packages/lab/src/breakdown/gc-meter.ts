// Garbage-collection pauses during a run, from V8's own GC performance entries. Collection is
// the deferred half of per-packet allocation (the frees), but it runs whenever V8 decides and so
// lands inside whatever pass is being measured then. We report it beside the categories rather
// than guess where each pause belongs.

import { PerformanceObserver } from 'node:perf_hooks';

export class GcMeter {
  private ns = 0;
  private count = 0;
  private obs: PerformanceObserver | null = null;

  start(): void {
    this.ns = 0;
    this.count = 0;
    this.obs = new PerformanceObserver((list) => this.add(list.getEntries()));
    this.obs.observe({ entryTypes: ['gc'] });
  }

  private add(entries: readonly { duration: number }[]): void {
    for (const e of entries) {
      this.ns += e.duration * 1e6;
      this.count++;
    }
  }

  /** Stops and returns the pause time (ns) and number of collections since start(). */
  stop(): { ns: number; count: number } {
    if (this.obs) {
      this.add(this.obs.takeRecords());
      this.obs.disconnect();
      this.obs = null;
    }
    return { ns: this.ns, count: this.count };
  }
}
