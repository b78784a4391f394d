// The controller's own Prometheus metrics: swaps by outcome, their duration, whether one runs.
// Scrapes are served from a ScrapeCache as the stages' are (packages/core/src/metrics/scrape-cache.ts):
// the controller answers swaps on the same event loop, so a /metrics flood renders once per interval.

import { SCRAPE_CACHE_MS, ScrapeCache, collectNodeMetrics } from '@vnflab/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly swaps: Counter<'stage' | 'variant' | 'result'>;
  readonly duration: Histogram<'stage' | 'variant'>;
  readonly inProgress: Gauge;
  /** What GET /metrics serves: one render shared by every scrape within `scrapeCacheMs`. */
  readonly scrapes: ScrapeCache;

  constructor(scrapeCacheMs = SCRAPE_CACHE_MS) {
    collectNodeMetrics(this.registry);
    this.swaps = new Counter({
      name: 'vnflab_controller_swaps_total',
      help: 'Swaps requested, by stage, target variant and result (ok, refused, failed)',
      labelNames: ['stage', 'variant', 'result'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'vnflab_controller_swap_duration_seconds',
      help: 'Time from the start of a swap to the old container removed',
      labelNames: ['stage', 'variant'],
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers: [this.registry],
    });
    this.inProgress = new Gauge({
      name: 'vnflab_controller_swap_in_progress',
      help: '1 while a swap runs',
      registers: [this.registry],
    });
    this.scrapes = new ScrapeCache(this.registry, scrapeCacheMs);
  }
}
