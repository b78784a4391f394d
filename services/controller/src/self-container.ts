// When the controller itself runs in a container, its own labels name the compose project and
// its networks are where it can reach the stages. On the host there is no such container.

import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { LABEL_PROJECT } from './labels';

export interface Self {
  project: string | undefined;
  networks: string[];
}

export async function inspectSelf(docker: Docker): Promise<Self> {
  try {
    const me = await docker.getContainer(hostname()).inspect();
    return { project: me.Config.Labels?.[LABEL_PROJECT], networks: Object.keys(me.NetworkSettings?.Networks ?? {}) };
  } catch {
    return { project: undefined, networks: [] };
  }
}
