// The compose side of `vnflab compare --controller URL --prometheus URL`: before each variant
// the controller swaps the stage's containers (blue/green), then after the warm-up a window
// of the running chain is read from Prometheus. The traffic is the generator container's own.

import type { ControllerClient } from '@vnflab/controller';
import type { CompareBackend } from './compare';
import type { SwapNote } from './model';
import { PrometheusClient, prometheusResult } from './prometheus-window';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ComposeBackendOptions {
  controller: ControllerClient;
  prometheus: PrometheusClient;
  stage: string;
  warmupS: number;
  durationS: number;
}

export async function composeBackend(o: ComposeBackendOptions): Promise<CompareBackend> {
  const view = await o.controller.chain();
  const st = view.stages.find((s) => s.stage === o.stage || s.name === o.stage);
  if (!st || st.containers.length === 0) {
    throw new Error(
      `the controller's project ${view.project} has no ${o.stage} container (stages: ${view.stages.map((s) => s.stage).join(', ')})`,
    );
  }
  return {
    mode: 'compose',
    chain: view.chain,
    profile: 'as deployed',
    batchSize: 0,
    async prepare(variant: string): Promise<SwapNote> {
      const r = await o.controller.swap(o.stage, variant);
      return { variant, duration_ms: r.replicas.length ? r.duration_ms : null, unchanged: r.replicas.length === 0 };
    },
    async measure(variant) {
      await sleep(o.warmupS * 1e3);
      await sleep(o.durationS * 1e3);
      return prometheusResult(o.prometheus, { stage: st.stage, variant, end: Date.now() / 1e3, windowS: o.durationS });
    },
  };
}
