// Bounds what /metrics scrapes cost the process: rendering the exposition text reads every stage's stats
// on the same event loop the chain runs on, so a scrape flood would otherwise take the data path's time.
// A render is reused by every scrape within `intervalMs` after it finished, and a scrape arriving while a
// render runs waits for that render. However many scrapes arrive, a process renders at most once per
// interval plus one, and spends at least `intervalMs` between two renders not rendering. The default, 500 ms,
// is under any scrape interval in use (2 s in infra/prometheus/prometheus.yml, 1 s in the tests' Prometheus):
// a cache as long as the scrape interval would hand a steady scraper every other text twice, so its first
// rates would read 0 and irate() would alternate with 0.

import type { Registry } from 'prom-client';

/** How long one rendered exposition text is served to every scrape, in ms. */
export const SCRAPE_CACHE_MS = 500;

export const RENDERS_METRIC = 'vnflab_metrics_renders_total';

export class ScrapeCache {
  /** Renders started (also exposed as vnflab_metrics_renders_total). */
  renders = 0;
  private text: string | undefined;
  private renderedAt = 0;
  private rendering: Promise<string> | undefined;

  constructor(
    private readonly registry: Registry,
    readonly intervalMs = SCRAPE_CACHE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(intervalMs >= 0)) throw new Error(`scrape cache interval must be a number >= 0 ms, got ${intervalMs}`);
    const help = 'Times this process rendered its /metrics text (scrapes within the cache interval reuse one)';
    registry.registerMetric({
      name: RENDERS_METRIC,
      help,
      type: 'counter',
      aggregator: 'sum',
      get: () => ({
        name: RENDERS_METRIC,
        help,
        type: 'counter',
        aggregator: 'sum',
        values: [{ labels: {}, value: this.renders }],
      }),
    } as never);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text: the cached one while fresh, else the running render's, else a new render's. */
  exposition(): Promise<string> {
    if (this.rendering) return this.rendering;
    if (this.text !== undefined && this.now() - this.renderedAt < this.intervalMs) return Promise.resolve(this.text);
    this.renders++;
    const r = this.registry.metrics().then(
      (text) => {
        this.text = text;
        this.renderedAt = this.now(); // from the end: a slow render still leaves a full interval free
        this.rendering = undefined;
        return text;
      },
      (e: unknown) => {
        this.rendering = undefined; // not cached: the next scrape tries again
        throw e;
      },
    );
    this.rendering = r;
    return r;
  }
}
