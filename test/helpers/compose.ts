// docker-compose for the end-to-end test: the repository's compose file with the offline
// override, a project name of its own and host ports that are free, so it never collides with a
// chain the user is running.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { ROOT } from './cli';

export function composeCommand(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  return undefined;
}

export class Compose {
  constructor(
    readonly cmd: string[],
    readonly project: string,
    readonly env: Record<string, string>,
  ) {}

  run(args: string[], timeoutMs = 300000): SpawnSyncReturns<string> {
    const [bin, ...pre] = this.cmd;
    return spawnSync(
      bin,
      [...pre, '-p', this.project, '-f', 'docker-compose.yml', '-f', 'docker-compose.offline.yml', ...args],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: timeoutMs,
        env: { ...process.env, ...this.env },
      },
    );
  }

  ok(args: string[], timeoutMs?: number): string {
    const r = this.run(args, timeoutMs);
    if (r.status !== 0)
      throw new Error(`${this.cmd.join(' ')} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
  }
}

/** Container ids, names and health of a project, from the engine itself. */
export function projectContainers(
  project: string,
): { id: string; name: string; service: string; state: string; health: string }[] {
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], {
    encoding: 'utf8',
  })
    .stdout.split('\n')
    .filter(Boolean);
  if (ids.length === 0) return [];
  const r = spawnSync('docker', ['inspect', ...ids], { encoding: 'utf8' });
  const all = JSON.parse(r.stdout) as {
    Id: string;
    Name: string;
    Config: { Labels: Record<string, string> };
    State: { Status: string; Health?: { Status: string } };
  }[];
  return all.map((c) => ({
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    service: c.Config.Labels['com.docker.compose.service'],
    state: c.State.Status,
    health: c.State.Health?.Status ?? 'none',
  }));
}

/**
 * One line per container of a project for a failure message: state, health, restarts, and
 * whether its memory limit killed it (OOMKilled), with its exit code and limit.
 */
export function containerStates(project: string): string[] {
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], {
    encoding: 'utf8',
  })
    .stdout.split('\n')
    .filter(Boolean);
  if (ids.length === 0) return [`  no containers in project ${project}`];
  const r = spawnSync('docker', ['inspect', ...ids], { encoding: 'utf8' });
  if (r.status !== 0) return [`  docker inspect failed: ${r.stderr.trim()}`];
  const all = JSON.parse(r.stdout) as {
    Name: string;
    RestartCount: number;
    HostConfig: { Memory: number };
    State: { Status: string; OOMKilled: boolean; ExitCode: number; Health?: { Status: string } };
  }[];
  return all.map(
    (c) =>
      `  ${c.Name.replace(/^\//, '')} ${c.State.Status} ${c.State.Health?.Status ?? 'no healthcheck'}, ` +
      `restarts ${c.RestartCount}, OOMKilled ${c.State.OOMKilled}, exit code ${c.State.ExitCode}, ` +
      `memory limit ${c.HostConfig.Memory ? `${c.HostConfig.Memory / 2 ** 20} MiB` : 'none'}`,
  );
}

export function projectLeftovers(project: string): string[] {
  const out: string[] = [];
  for (const kind of ['ps -aq', 'network ls -q', 'volume ls -q']) {
    const r = spawnSync('docker', [...kind.split(' '), '--filter', `label=com.docker.compose.project=${project}`], {
      encoding: 'utf8',
    });
    out.push(
      ...r.stdout
        .split('\n')
        .filter(Boolean)
        .map((id) => `${kind.split(' ')[0]} ${id}`),
    );
  }
  return out;
}

/** Starts a Docker engine when none answers and we may (root, dockerd installed). */
export function ensureDockerEngine(): { ok: boolean; why?: string } {
  if (spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20000 }).status === 0) return { ok: true };
  if (process.getuid?.() !== 0) return { ok: false, why: 'no Docker engine answers and we are not root to start one' };
  if (spawnSync('sh', ['-c', 'command -v dockerd']).status !== 0)
    return { ok: false, why: 'dockerd is not installed (apt-get install docker.io)' };
  spawnSync('sh', ['-c', 'setsid dockerd >/tmp/vnflab-dockerd.log 2>&1 &']);
  for (let i = 0; i < 60; i++) {
    if (spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 }).status === 0) return { ok: true };
    spawnSync('sleep', ['0.5']);
  }
  return { ok: false, why: 'dockerd did not come up (see /tmp/vnflab-dockerd.log)' };
}
