// The compose warm-up's end: a window read from Prometheus means something only once Prometheus
// scrapes the new variant's containers. Discovery refresh and scrape interval vary by
// deployment, so instead of a fixed sleep this polls for the new variant's own series until it
// has two samples taken after the swap (the least increase() needs), or fails after a timeout.

import type { PrometheusClient } from './prometheus-window';

export interface ScrapeWait {
  stage: string;
  variant: string;
  /** Unix seconds: the swap's end; only samples after it count. */
  since: number;
  timeoutS: number;
  /** Between two polls; default 250 ms. */
  pollMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with the seconds waited once a series of the variant has two samples after `since`. */
export async function waitForScrape(p: PrometheusClient, w: ScrapeWait): Promise<number> {
  const selector = `vnflab_packets_total{stage=${JSON.stringify(w.stage)},variant=${JSON.stringify(w.variant)}}`;
  const started = Date.now() / 1e3;
  let best = 0;
  for (;;) {
    const now = Date.now() / 1e3;
    const range = Math.max(1, Math.ceil(now - w.since) + 1);
    const series = await p.samples(`${selector}[${range}s]`, now);
    best = 0;
    for (const s of series) best = Math.max(best, s.values.filter(([t]) => t > w.since).length);
    if (best >= 2) return now - started;
    if (now - started >= w.timeoutS)
      throw new Error(
        `Prometheus at ${p.base} has ${best} sample${best === 1 ? '' : 's'} of ${selector} since the swap after ${w.timeoutS} s (2 needed): is it scraping the new ${w.stage} container?`,
      );
    await sleep(w.pollMs ?? 250);
  }
}
