// GET /stats/:stage — a stage's /stats as each of its running containers answers it, read
// through the controller because the stages publish nothing on the host: `vnflab compare`
// learns the generator's rate (its settings) this way. Only the project's containers are read.

import type Docker from 'dockerode';
import { runningStageContainers } from './discovery';
import { probe } from './http-probe';

export interface StageStatsView {
  project: string;
  stage: string;
  containers: {
    name: string;
    variant: string;
    /** The container's /stats JSON, or null with `error` when it did not answer with one. */
    stats: unknown;
    error?: string;
  }[];
}

export async function readStageStats(
  docker: Docker,
  project: string,
  stage: string,
  networks: string[],
  timeoutMs = 1000,
): Promise<StageStatsView> {
  const running = await runningStageContainers(docker, project, stage, networks);
  const containers = await Promise.all(
    running.map(async ({ name, variant, url }): Promise<StageStatsView['containers'][number]> => {
      if (!url) return { name, variant, stats: null, error: 'no network address' };
      try {
        const r = await probe(`${url}/stats`, timeoutMs);
        if (r.status !== 200) return { name, variant, stats: null, error: `/stats answered ${r.status}` };
        return { name, variant, stats: JSON.parse(r.body) as unknown };
      } catch (e) {
        return { name, variant, stats: null, error: (e as Error).message };
      }
    }),
  );
  return { project, stage, containers };
}
