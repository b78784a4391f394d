// Real Docker for the controller tests: whether an engine answers, and containers from the
// local base image (no registry needed), all labelled or named with a per-test prefix so
// cleanup removes exactly what the test made.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import Docker from 'dockerode';

// the offline base image carries this host's node binary (infra/docker/build-offline.sh)
export const BASE_IMAGE = `vnflab/node-base:${process.versions.node}-bookworm`;

export function dockerAvailable(): boolean {
  if (spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20000 }).status !== 0) return false;
  return spawnSync('docker', ['image', 'inspect', BASE_IMAGE], { stdio: 'ignore' }).status === 0;
}

/** A client without keep-alive sockets, so Jest exits as soon as the tests are done. */
export function testDocker(): Docker {
  return new Docker({
    socketPath: '/var/run/docker.sock',
    agent: new Agent({ keepAlive: false }),
  } as Docker.DockerOptions);
}

export function uniquePrefix(what: string): string {
  return `vnflabt-${what}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A tiny stage look-alike: /readyz, /stats with growing counters, a graceful SIGTERM. */
export const FAKE_STAGE_JS = `
const http = require('http');
let n = 0;
const tick = setInterval(() => { n += 100; }, 50);
const s = http.createServer((q, r) => {
  if (q.url === '/readyz' || q.url === '/healthz') return r.end('{"ready":true}');
  if (q.url === '/stats') {
    r.setHeader('content-type', 'application/json');
    return r.end(JSON.stringify({ service: { variant: process.env.VNFLAB_VARIANT }, stats: { packets_in: n, packets_out: n, drops: {} } }));
  }
  r.statusCode = 404; r.end();
});
s.listen(Number(process.env.VNFLAB_PORT || 8080));
process.on('SIGTERM', () => { clearInterval(tick); setTimeout(() => { s.close(); process.exit(0); }, 150); });
`;

export const IDLE_JS = 'setInterval(()=>{},1e9)';

export interface TestContainerSpec {
  name: string;
  labels?: Record<string, string>;
  env?: Record<string, string>;
  network?: string;
  aliases?: string[];
  js: string;
}

export async function runContainer(docker: Docker, s: TestContainerSpec): Promise<Docker.Container> {
  const c = await docker.createContainer({
    name: s.name,
    Image: BASE_IMAGE,
    Cmd: ['node', '-e', s.js],
    Labels: s.labels ?? {},
    Env: Object.entries(s.env ?? {}).map(([k, v]) => `${k}=${v}`),
    HostConfig: { NetworkMode: s.network ?? 'bridge', Memory: 64 * 2 ** 20 },
    NetworkingConfig: s.network ? { EndpointsConfig: { [s.network]: { Aliases: s.aliases ?? [] } } } : undefined,
  });
  await c.start();
  return c;
}

/** Removes every container whose name starts with `prefix` or that carries `label`, then the network. */
export async function cleanup(docker: Docker, prefix: string, network?: string): Promise<void> {
  const all = await docker.listContainers({ all: true });
  for (const c of all) {
    const mine =
      c.Names.some((n) => n.replace(/^\//, '').startsWith(prefix)) || Object.values(c.Labels).some((v) => v === prefix);
    if (mine)
      await docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
  }
  if (network)
    await docker
      .getNetwork(network)
      .remove()
      .catch(() => undefined);
}
