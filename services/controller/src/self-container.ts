// When the controller itself runs in a container, that container's labels name the compose
// project it manages (`com.docker.compose.project`, whatever `-p` or COMPOSE_PROJECT_NAME said)
// and its networks are where it can reach the stages. The container is found from inside:
// Docker bind-mounts /etc/hostname and friends from /var/lib/docker/containers/<id>/ (seen in
// /proc/self/mountinfo), cgroup v1 and systemd cgroup paths carry the id (/proc/self/cgroup),
// and compose's default hostname is the short id. On the host there is no such container.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { LABEL_PROJECT } from './labels';
import { LABEL_STACK, LABEL_SWARM_SERVICE } from './swarm-backend';

export interface Self {
  /** The controller's own container (name without '/'), or undefined on the host. */
  container: string | undefined;
  project: string | undefined;
  /** The Swarm stack when the container is a task of a stack's service (docker stack deploy). */
  stack?: string;
  networks: string[];
}

const ID = /[0-9a-f]{64}/g;
const SELF_FILES = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);

/** Container ids this process may run in, most specific first, from /proc text and the hostname. */
export function selfCandidates(mountinfo: string, cgroup: string, host: string): { ref: string; byId: boolean }[] {
  const ids = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    // fields: id parent major:minor root mount-point ...; only the files Docker mounts into its
    // own container count (on the host every container's shm mount is listed too)
    const [, , , root, at] = line.split(' ');
    if (!root || !SELF_FILES.has(at)) continue;
    const m = /\/containers\/([0-9a-f]{64})\//.exec(root);
    if (m) ids.add(m[1]);
  }
  for (const line of cgroup.split('\n'))
    if (/docker|containerd/.test(line)) for (const m of line.match(ID) ?? []) ids.add(m);
  const out = [...ids].map((ref) => ({ ref, byId: true }));
  if (host && !ids.has(host)) out.push({ ref: host, byId: false });
  return out;
}

/** True when `info` is the container a candidate names: the same id, or (by hostname) its own hostname. */
export function isSelf(info: Docker.ContainerInspectInfo, c: { ref: string; byId: boolean }): boolean {
  return c.byId ? info.Id === c.ref : info.Id.startsWith(c.ref) || info.Config?.Hostname === c.ref;
}

export function selfFromInspect(info: Docker.ContainerInspectInfo): Self {
  return {
    container: info.Name?.replace(/^\//, '') || info.Id.slice(0, 12),
    project: info.Config?.Labels?.[LABEL_PROJECT] || undefined,
    stack: (info.Config?.Labels?.[LABEL_SWARM_SERVICE] && info.Config.Labels[LABEL_STACK]) || undefined,
    networks: Object.keys(info.NetworkSettings?.Networks ?? {}),
  };
}

const readOr = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

export async function inspectSelf(
  docker: Docker,
  proc: { mountinfo: string; cgroup: string; hostname: string } = {
    mountinfo: readOr('/proc/self/mountinfo'),
    cgroup: readOr('/proc/self/cgroup'),
    hostname: hostname(),
  },
): Promise<Self> {
  for (const c of selfCandidates(proc.mountinfo, proc.cgroup, proc.hostname)) {
    try {
      const info = await docker.getContainer(c.ref).inspect();
      if (isSelf(info, c)) return selfFromInspect(info);
    } catch {
      // not a container this engine knows: the next candidate
    }
  }
  return { container: undefined, project: undefined, networks: [] };
}

/**
 * The project to manage: the own container's label when there is one (a project given as well
 * must agree: the controller never acts on another project's containers), else the one given.
 */
export function settleProject(given: string | undefined, self: Self): { project: string } | { error: string } {
  if (self.project) {
    if (given !== undefined && given !== self.project)
      return {
        error: `--project/VNFLAB_COMPOSE_PROJECT says "${given}" but the controller runs in ${self.container}, a container of compose project "${self.project}" (${LABEL_PROJECT}); it manages only its own project's containers`,
      };
    return { project: self.project };
  }
  if (given !== undefined) return { project: given };
  return {
    error:
      self.container === undefined
        ? 'cannot tell which compose project to manage: not in a container, so set --project (or VNFLAB_COMPOSE_PROJECT)'
        : `cannot tell which compose project to manage: the controller's container ${self.container} has no ${LABEL_PROJECT} label, so set --project (or VNFLAB_COMPOSE_PROJECT)`,
  };
}
