// GET /stats/:stage — a stage's /stats as each of its running containers answers it, read
// through the controller because the stages publish nothing on the host: `vnflab compare`
// learns the generator's rate (its settings) this way. Only the project's containers are read.

import type Docker from 'dockerode';
import { containerUrl } from './container-address';
import { listChainContainers } from './discovery';
import { ControllerError } from './errors';
import { probe } from './http-probe';
import { LABEL_PROJECT, LABEL_STAGE } from './labels';

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
  const running = (await listChainContainers(docker, project)).filter(
    (c) => c.stage === stage && c.state === 'running',
  );
  if (running.length === 0)
    throw new ControllerError(
      404,
      'no_container',
      `no running ${stage} container in project ${project} (the controller looks for ${LABEL_PROJECT}=${project} and ${LABEL_STAGE}=${stage})`,
    );
  const containers = await Promise.all(
    running.map(async (c): Promise<StageStatsView['containers'][number]> => {
      const url = containerUrl(await docker.getContainer(c.id).inspect(), networks);
      if (!url) return { name: c.name, variant: c.variant, stats: null, error: 'no network address' };
      try {
        const r = await probe(`${url}/stats`, timeoutMs);
        if (r.status !== 200)
          return { name: c.name, variant: c.variant, stats: null, error: `/stats answered ${r.status}` };
        return { name: c.name, variant: c.variant, stats: JSON.parse(r.body) as unknown };
      } catch (e) {
        return { name: c.name, variant: c.variant, stats: null, error: (e as Error).message };
      }
    }),
  );
  return { project, stage, containers };
}
