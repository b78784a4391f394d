// The controller finds its own container from /proc and the hostname, and manages the compose
// project on that container's label: `-p NAME` and any project in .env cannot point it at
// another project's containers. Docker's answers are the inspect JSON shape the engine returns.

import type Docker from 'dockerode';
import { inspectSelf, isSelf, selfCandidates, settleProject } from '@vnflab/controller';

const ID = 'f3a9c2e1b7d64a5c8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f';
const OTHER = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

// /proc/self/mountinfo inside a container: Docker bind-mounts the container's own files
const MOUNTINFO_IN = [
  '612 540 0:140 / / rw,relatime master:286 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X',
  `623 612 8:1 /var/lib/docker/containers/${ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/sda1 rw`,
  `624 612 8:1 /var/lib/docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw`,
  `625 612 8:1 /var/lib/docker/containers/${ID}/hosts /etc/hosts rw,relatime - ext4 /dev/sda1 rw`,
].join('\n');
// on the host, every running container's shm mount is listed: none of them is this process
const MOUNTINFO_HOST = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  `300 29 0:55 / /var/lib/docker/containers/${OTHER}/mounts/shm rw,nosuid,nodev,noexec,relatime shared:160 - tmpfs shm rw,size=65536k`,
].join('\n');

function inspectJson(id: string, labels: Record<string, string>, host = id.slice(0, 12)): Docker.ContainerInspectInfo {
  return {
    Id: id,
    Name: '/myproj-controller-1',
    Config: { Hostname: host, Labels: labels },
    NetworkSettings: { Networks: { myproj_chain: { IPAddress: '172.20.0.5' } } },
  } as unknown as Docker.ContainerInspectInfo;
}

/** A Docker engine that knows these containers by full id, id prefix or name. */
function engine(containers: Docker.ContainerInspectInfo[]): { docker: Docker; asked: string[] } {
  const asked: string[] = [];
  const docker = {
    getContainer: (ref: string) => ({
      inspect: async () => {
        asked.push(ref);
        const hit = containers.find((c) => c.Id.startsWith(ref) || c.Name === `/${ref}`);
        if (!hit) throw Object.assign(new Error(`(HTTP code 404) no such container - ${ref}`), { statusCode: 404 });
        return hit;
      },
    }),
  } as unknown as Docker;
  return { docker, asked };
}

const COMPOSE = { 'com.docker.compose.project': 'myproj', 'com.docker.compose.service': 'controller' };

test('candidates: the id of the files Docker mounts into the container, cgroup ids, then the hostname', () => {
  expect(selfCandidates(MOUNTINFO_IN, '0::/\n', ID.slice(0, 12))).toEqual([
    { ref: ID, byId: true },
    { ref: ID.slice(0, 12), byId: false },
  ]);
  // cgroup v1 (and the systemd driver's docker-<id>.scope)
  expect(selfCandidates('', `12:pids:/docker/${ID}\n0::/system.slice/docker-${OTHER}.scope\n`, 'box')).toEqual([
    { ref: ID, byId: true },
    { ref: OTHER, byId: true },
    { ref: 'box', byId: false },
  ]);
  // the host: other containers' shm mounts are not this process's container
  expect(selfCandidates(MOUNTINFO_HOST, '0::/user.slice/user-1000.slice/session-2.scope\n', 'laptop')).toEqual([
    { ref: 'laptop', byId: false },
  ]);
});

test("in a container the project is its own label, whatever the project's name", async () => {
  const { docker } = engine([inspectJson(ID, COMPOSE)]);
  const self = await inspectSelf(docker, { mountinfo: MOUNTINFO_IN, cgroup: '0::/\n', hostname: ID.slice(0, 12) });
  expect(self).toEqual({ container: 'myproj-controller-1', project: 'myproj', networks: ['myproj_chain'] });
  expect(settleProject(undefined, self)).toEqual({ project: 'myproj' });
  expect(settleProject('myproj', self)).toEqual({ project: 'myproj' });
  // a project from .env or a flag that is not its own is refused, never acted on
  expect(settleProject('vnflab', self)).toEqual({
    error:
      '--project/VNFLAB_COMPOSE_PROJECT says "vnflab" but the controller runs in myproj-controller-1, a container of compose project "myproj" (com.docker.compose.project); it manages only its own project\'s containers',
  });
});

test('found by hostname (compose: the short id) when /proc says nothing; a hostname that names another container is not self', async () => {
  const { docker } = engine([inspectJson(ID, COMPOSE)]);
  expect((await inspectSelf(docker, { mountinfo: '', cgroup: '0::/\n', hostname: ID.slice(0, 12) })).project).toBe(
    'myproj',
  );
  // a container called "laptop" exists, but its hostname is its own id: this process is not in it
  const named = { ...inspectJson(OTHER, COMPOSE), Name: '/laptop' } as Docker.ContainerInspectInfo;
  expect(isSelf(named, { ref: 'laptop', byId: false })).toBe(false);
  const { docker: d2, asked } = engine([named]);
  const self = await inspectSelf(d2, { mountinfo: MOUNTINFO_HOST, cgroup: '0::/\n', hostname: 'laptop' });
  expect(asked).toEqual(['laptop']);
  expect(self).toEqual({ container: undefined, project: undefined, networks: [] });
});

test('on the host, or in a container without compose labels, the project must be given', async () => {
  const { docker } = engine([]);
  const host = await inspectSelf(docker, { mountinfo: MOUNTINFO_HOST, cgroup: '0::/\n', hostname: 'laptop' });
  expect(settleProject('myproj', host)).toEqual({ project: 'myproj' });
  expect(settleProject(undefined, host)).toEqual({
    error:
      'cannot tell which compose project to manage: not in a container, so set --project (or VNFLAB_COMPOSE_PROJECT)',
  });
  const { docker: plain } = engine([inspectJson(ID, {})]);
  const bare = await inspectSelf(plain, { mountinfo: MOUNTINFO_IN, cgroup: '', hostname: 'x' });
  expect(bare.project).toBeUndefined();
  expect(settleProject(undefined, bare)).toEqual({
    error:
      "cannot tell which compose project to manage: the controller's container myproj-controller-1 has no com.docker.compose.project label, so set --project (or VNFLAB_COMPOSE_PROJECT)",
  });
  expect(settleProject('other', bare)).toEqual({ project: 'other' });
});
