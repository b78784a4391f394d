// Finds the chain's containers from their labels: those of one compose project that carry a
// vnflab stage. Nothing outside the project is listed, and a container named directly must
// carry the project's labels before the controller will act on it.

import type Docker from 'dockerode';
import { containerUrl } from './container-address';
import { ControllerError } from './errors';
import { LABEL_PROJECT, LABEL_STAGE, LABEL_VARIANT } from './labels';

export interface StageContainer {
  id: string;
  name: string;
  stage: string;
  variant: string;
  image: string;
  /** Docker's state: running, exited, ... */
  state: string;
  /** Docker's status line, e.g. "Up 3 minutes (healthy)". */
  status: string;
}

const nameOf = (names: string[] | undefined, id: string): string => (names?.[0] ?? id.slice(0, 12)).replace(/^\//, '');

/** Every container of `project` that carries a vnflab stage label (running or not). */
export async function listChainContainers(docker: Docker, project: string): Promise<StageContainer[]> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABEL_PROJECT}=${project}`, LABEL_STAGE] },
  });
  return list
    .map((c) => ({
      id: c.Id,
      name: nameOf(c.Names, c.Id),
      stage: c.Labels[LABEL_STAGE] ?? '',
      variant: c.Labels[LABEL_VARIANT] ?? '',
      image: c.Image,
      state: c.State,
      status: c.Status,
    }))
    .sort((a, b) => a.stage.localeCompare(b.stage) || a.name.localeCompare(b.name));
}

/** The running containers of one stage of `project`, with their network address; 404 when there are none. */
export async function runningStageContainers(
  docker: Docker,
  project: string,
  stage: string,
  networks: string[],
): Promise<(StageContainer & { url: string | null })[]> {
  const running = (await listChainContainers(docker, project)).filter(
    (c) => c.stage === stage && c.state === 'running',
  );
  if (running.length === 0)
    throw new ControllerError(
      404,
      'no_container',
      `no running ${stage} container in project ${project} (the controller looks for ${LABEL_PROJECT}=${project} and ${LABEL_STAGE}=${stage})`,
    );
  return Promise.all(
    running.map(async (c) => ({ ...c, url: containerUrl(await docker.getContainer(c.id).inspect(), networks) })),
  );
}

/**
 * A container named in a request, checked against the project and stage. Refuses (403) one
 * that lacks the labels, without saying more about containers the controller does not manage.
 */
export async function projectContainer(
  docker: Docker,
  project: string,
  stage: string,
  ref: string,
): Promise<Docker.ContainerInspectInfo> {
  let info: Docker.ContainerInspectInfo;
  try {
    info = await docker.getContainer(ref).inspect();
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404)
      throw new ControllerError(404, 'no_such_container', `no container "${ref}"`);
    throw e;
  }
  const labels = info.Config.Labels ?? {};
  if (labels[LABEL_PROJECT] !== project) {
    throw new ControllerError(
      403,
      'not_managed',
      `container "${ref}" does not carry ${LABEL_PROJECT}=${project}; the controller manages only its own project's containers`,
    );
  }
  if (labels[LABEL_STAGE] !== stage) {
    throw new ControllerError(
      403,
      'not_managed',
      `container "${ref}" is not a ${stage} container (its ${LABEL_STAGE} is ${labels[LABEL_STAGE] === undefined ? 'missing' : `"${labels[LABEL_STAGE]}"`})`,
    );
  }
  return info;
}
