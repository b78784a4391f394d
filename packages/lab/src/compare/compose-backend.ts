// The compose side of `vnflab compare --controller URL --prometheus URL`: before each variant
// the controller swaps the stage's containers (blue/green); the first window after a swap starts
// once Prometheus has scraped the new variant (scrape-wait.ts) and the warm-up has passed since
// the swap, then the window is read from Prometheus. The traffic is the generator container's own;
// its rate is read once from the generator's /stats through the controller. A search (NDR, PDR,
// max latency) steers it instead: each trial sets the generator's rate through the controller
// (PUT /traffic), waits as after a swap, and the generator's own rate is put back at the end.

import type { ControllerClient } from '@vnflab/controller';
import type { CompareBackend } from './compare';
import type { SwapNote } from './model';
import { PrometheusClient, prometheusResult } from './prometheus-window';
import { waitForScrape } from './scrape-wait';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ComposeBackendOptions {
  controller: ControllerClient;
  prometheus: PrometheusClient;
  stage: string;
  /** The least time from a swap to its first window; the window also waits for Prometheus. */
  warmupS: number;
  durationS: number;
  /** How long to wait for Prometheus to scrape a new variant before failing; default 60 s. */
  scrapeTimeoutS?: number;
  /** Set the generator's rate for each trial (a search); otherwise its own rate is measured as it is. */
  steer?: boolean;
}

/** The generator's offered rate: the sum of its running containers' `rate` settings, or why not known. */
export async function generatorRate(
  controller: ControllerClient,
  source: string,
): Promise<{ rate: number | null; why?: string }> {
  try {
    const v = await controller.stageStats(source);
    let sum = 0;
    for (const c of v.containers) {
      const rate = (c.stats as { details?: { settings?: { rate?: unknown } } } | null)?.details?.settings?.rate;
      if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0)
        return { rate: null, why: `${c.name}'s /stats has no rate${c.error ? ` (${c.error})` : ''}` };
      if (rate === 0) return { rate: 0 }; // one unlimited generator: the chain sets the pace
      sum += rate;
    }
    return { rate: sum };
  } catch (e) {
    return { rate: null, why: (e as Error).message };
  }
}

export async function composeBackend(o: ComposeBackendOptions): Promise<CompareBackend> {
  const view = await o.controller.chain();
  const st = view.stages.find((s) => s.stage === o.stage || s.name === o.stage);
  if (!st || st.containers.length === 0) {
    throw new Error(
      `the controller's project ${view.project} has no ${o.stage} container (stages: ${view.stages.map((s) => s.stage).join(', ')})`,
    );
  }
  const source = view.stages[0]?.stage ?? 'traffic-gen';
  const traffic = await generatorRate(o.controller, source);
  // Unix seconds at the end of the last swap (or rate change) whose first window has not started yet
  let swappedAt: number | null = null;
  // the rate the generator was last set to by a trial (null: its own)
  let steered: number | null = null;
  return {
    mode: 'compose',
    chain: view.chain,
    profile: 'as deployed',
    batchSize: 0,
    trafficRate: traffic.rate,
    trafficRateUnknown: traffic.why,
    async prepare(variant: string): Promise<SwapNote> {
      const r = await o.controller.swap(o.stage, variant);
      swappedAt = Date.now() / 1e3;
      return { variant, duration_ms: r.replicas.length ? r.duration_ms : null, unchanged: r.replicas.length === 0 };
    },
    async measure(variant, _size, rate) {
      if (o.steer && rate !== steered) {
        await o.controller.setTraffic({ rate });
        steered = rate;
        swappedAt = Date.now() / 1e3; // the window starts once Prometheus has seen the new rate, as after a swap
      }
      if (swappedAt !== null) {
        const since = swappedAt;
        await Promise.all([
          sleep(Math.max(0, since + o.warmupS - Date.now() / 1e3) * 1e3),
          waitForScrape(o.prometheus, { stage: st.stage, variant, since, timeoutS: o.scrapeTimeoutS ?? 60 }),
        ]);
        swappedAt = null;
      }
      await sleep(o.durationS * 1e3);
      const r = await prometheusResult(o.prometheus, {
        stage: st.stage,
        variant,
        end: Date.now() / 1e3,
        windowS: o.durationS,
      });
      return { ...r, rate_pps: o.steer ? rate : (traffic.rate ?? 0) };
    },
    async finish() {
      // the generator goes back to its own rate (TRAFFIC_RATE) after a search
      if (steered !== null && traffic.rate !== null && steered !== traffic.rate)
        await o.controller.setTraffic({ rate: traffic.rate });
      steered = null;
    },
  };
}
