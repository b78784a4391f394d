// The chain's stack on this machine's Docker Swarm, for the Swarm test and the Swarm benchmark:
// joins a single-node swarm only if the engine is in none (and leaves it only then), deploys
// deploy/swarm/stack.yml with the offline override under a stack name of its own, and reaches
// each task from the host. A task on an overlay network also sits on the node's docker_gwbridge
// (its way out), whose addresses the host routes to: the stages' /stats and Redis are read there,
// so nothing but Prometheus is published. `remove()` puts the engine back as it was.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface SwarmStackOptions {
  /** The repository root (deploy/swarm/ is under it). */
  root: string;
  stack: string;
  /** The environment the stack file interpolates: VNFLAB_CONTROL_TOKEN, TRAFFIC_RATE, PROMETHEUS_PORT, ... */
  env: Record<string, string>;
  log?: (m: string) => void;
}

export interface LedgerCounts {
  instance: string;
  produced: number;
  consumed: number;
  packets_in: number;
  packets_out: number;
  drops: Record<string, number>;
}

/** Runs the docker CLI; throws with its output when it fails. */
export function dockerCli(args: string[], env?: Record<string, string>, timeoutMs = 120000): string {
  const r = spawnSync('docker', args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: env ? { ...process.env, ...env } : process.env,
  });
  if (r.status !== 0)
    throw new Error(`docker ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** active, inactive, pending, ... (docker info's Swarm.LocalNodeState); undefined without an engine. */
export function swarmState(): string | undefined {
  const r = spawnSync('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], {
    encoding: 'utf8',
    timeout: 20000,
  });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Newest modification time (ms) of the files under `dir`, recursively (0 when there is none). */
function newestUnder(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestUnder(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Why the stage images must be built again, or undefined when each is newer than what it is made
 * of: the shared packages' build output, its stage's, the chain files and the lockfile (Swarm runs
 * the images the node has, so a stale one would test old code). The controller's own output is not
 * counted: the stage images never run it.
 */
export function staleImages(root: string, stages: string[], version = '0.1.0'): string | undefined {
  const pkgs = readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d, 'dist'));
  const shared = Math.max(
    ...pkgs.map(newestUnder),
    newestUnder(join(root, 'chains')),
    statSync(join(root, 'package-lock.json')).mtimeMs,
  );
  for (const stage of stages) {
    const r = spawnSync('docker', ['image', 'inspect', '--format', '{{.Created}}', `vnflab/${stage}:${version}`], {
      encoding: 'utf8',
    });
    if (r.status !== 0) return `vnflab/${stage}:${version} is missing`;
    const built = Date.parse(r.stdout.trim());
    const source = Math.max(shared, newestUnder(join(root, 'services', stage, 'dist')));
    if (!(built > source)) return `vnflab/${stage}:${version} is older than the build output it is made of`;
  }
  return undefined;
}

export class SwarmStack {
  /** True when this object put the engine in a swarm (so it leaves it again). */
  private joined = false;
  private deployed = false;
  private readonly log: (m: string) => void;

  constructor(readonly o: SwarmStackOptions) {
    this.log = o.log ?? (() => undefined);
  }

  get stack(): string {
    return this.o.stack;
  }

  /**
   * `docker swarm init --advertise-addr 127.0.0.1` unless the engine is in a swarm already: then it
   * deploys there when `useExisting`, or returns false and does nothing (a swarm someone else
   * created may be left under the stack at any time). Also false when another process made the
   * engine a swarm between the check and the init.
   */
  init(useExisting = true): boolean {
    const state = swarmState();
    if (state === 'active') {
      if (!useExisting) return false;
      this.log('the engine is in a swarm already: deploying there, leaving it as it is');
      return true;
    }
    try {
      dockerCli(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    } catch (e) {
      if (!useExisting && swarmState() === 'active') return false;
      throw e;
    }
    this.joined = true;
    return true;
  }

  deploy(env: Record<string, string> = {}): void {
    const dir = join(this.o.root, 'deploy/swarm');
    this.deployed = true;
    dockerCli(
      ['stack', 'deploy', '-c', join(dir, 'stack.yml'), '-c', join(dir, 'stack.offline.yml'), this.stack],
      { ...this.o.env, ...env },
      180000,
    );
  }

  service(name: string): string {
    return `${this.stack}_${name}`;
  }

  /** Running containers of a service's tasks (this node): id and health. */
  containers(name: string): { id: string; health: string }[] {
    const ids = dockerCli([
      'ps',
      '-q',
      '--no-trunc',
      '--filter',
      `label=com.docker.swarm.service.name=${this.service(name)}`,
    ])
      .split('\n')
      .filter(Boolean);
    if (ids.length === 0) return [];
    const info = JSON.parse(dockerCli(['inspect', ...ids])) as {
      Id: string;
      State: { Running: boolean; Health?: { Status: string } };
    }[];
    return info.filter((c) => c.State.Running).map((c) => ({ id: c.Id, health: c.State.Health?.Status ?? 'none' }));
  }

  /** Each running task's address on docker_gwbridge, which the host reaches. */
  addresses(name: string): string[] {
    const ids = this.containers(name).map((c) => c.id);
    if (ids.length === 0) return [];
    const net = JSON.parse(dockerCli(['network', 'inspect', 'docker_gwbridge']))[0] as {
      Containers: Record<string, { IPv4Address: string }>;
    };
    return ids.map((id) => net.Containers[id]?.IPv4Address?.split('/')[0]).filter((a): a is string => !!a);
  }

  /** Desired and running replicas of a service (docker service ls). */
  replicas(name: string): { running: number; desired: number } {
    const out = dockerCli([
      'service',
      'ls',
      '--filter',
      `name=${this.service(name)}`,
      '--format',
      '{{.Name}} {{.Replicas}}',
    ]);
    for (const line of out.split('\n')) {
      const [svc, r] = line.split(' ');
      if (svc === this.service(name)) {
        const [running, desired] = r.split('/').map(Number);
        return { running, desired };
      }
    }
    throw new Error(`no service ${this.service(name)}`);
  }

  scale(name: string, n: number): void {
    dockerCli(['service', 'scale', '--detach', `${this.service(name)}=${n}`]);
  }

  /** GET /stats of every running task of a stage (through docker_gwbridge). */
  async stats(name: string): Promise<Record<string, unknown>[]> {
    return Promise.all(
      this.addresses(name).map(
        async (a) => (await fetch(`http://${a}:8080/stats`)).json() as Promise<Record<string, unknown>>,
      ),
    );
  }

  /** Every instance's committed ledger under the run's prefix (packages/core/src/stats/stats-ledger.ts's format). */
  async ledgers(redisCli: (args: string[]) => Promise<unknown>, prefix: string): Promise<LedgerCounts[]> {
    {
      // kept with the hop each instance reads (packages/core/src/bus/redis-bus.ts names them)
      const keys = (await redisCli(['KEYS', `{${prefix}:hop:*}:ledger:*`])) as string[];
      const out: LedgerCounts[] = [];
      for (const k of keys) {
        const v = (await redisCli(['HGET', k, 'v'])) as string | null;
        if (!v) continue;
        // `prod cons pin pout bin bout {drops} originated delivered` (StatsLedger.value; the last
        // two absent from a ledger written before loop chains): the drops are the JSON object alone
        const m = /^(\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\{.*\})(?: (\d+) (\d+))?$/.exec(v);
        if (!m) throw new Error(`ledger ${k}: unexpected value "${v.slice(0, 80)}"`);
        out.push({
          instance: k.slice(k.indexOf('}:ledger:') + '}:ledger:'.length),
          produced: Number(m[1]),
          consumed: Number(m[2]),
          packets_in: Number(m[3]),
          packets_out: Number(m[4]),
          drops: JSON.parse(m[7]) as Record<string, number>,
        });
      }
      return out;
    }
  }

  /** `docker stack rm`, waiting until its tasks and network are gone; then leaves the swarm if it joined it. */
  async remove(): Promise<void> {
    if (this.deployed) {
      spawnSync('docker', ['stack', 'rm', this.stack], { encoding: 'utf8', timeout: 120000 });
      for (let i = 0; i < 120; i++) {
        const left = spawnSync(
          'sh',
          [
            '-c',
            `docker ps -aq --filter label=com.docker.stack.namespace=${this.stack}; docker network ls -q --filter label=com.docker.stack.namespace=${this.stack}`,
          ],
          { encoding: 'utf8' },
        ).stdout.trim();
        if (!left) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      this.deployed = false;
    }
    if (this.joined) {
      spawnSync('docker', ['swarm', 'leave', '--force'], { encoding: 'utf8', timeout: 60000 });
      this.joined = false;
    }
  }
}
