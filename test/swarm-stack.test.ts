// deploy/swarm/stack.yml, checked statically: it parses, every stage of the default chain is a
// service with the deploy: keys Swarm needs, Redis, Prometheus (finding tasks by DNS) and Grafana
// are there, and `docker stack config` (the Docker CLI's own loader: schema, interpolation,
// config files) accepts it where the CLI is installed. Deploying it on a real Swarm is not done
// here.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { discoverStages, loadChainFile } from '@vnflab/core';

/* eslint-disable @typescript-eslint/no-explicit-any -- walking parsed YAML */
const ROOT = join(__dirname, '..');
const STACK = join(ROOT, 'deploy/swarm/stack.yml');
const text = readFileSync(STACK, 'utf8');
const stack = parse(text, { merge: true }) as any;
const registry = discoverStages();
const chain = loadChainFile(join(ROOT, 'chains/default.yaml'), registry);

test('every stage of the default chain is a service with replicas, limits, reservations, start-first updates and a healthcheck', () => {
  for (const entry of chain.stages) {
    const svc = stack.services[entry.name];
    expect({ stage: entry.name, service: !!svc }).toEqual({ stage: entry.name, service: true });
    const d = svc.deploy;
    expect(d.replicas).toBe(1);
    expect(d.update_config.order).toBe('start-first');
    expect(d.rollback_config.order).toBe('start-first');
    expect(d.resources.limits.memory).toMatch(/^\d+M$/);
    expect(d.resources.limits.cpus).toMatch(/^[\d.]+$/);
    expect(d.resources.reservations.memory).toMatch(/^\d+M$/);
    // the same healthcheck as compose's stages: the heartbeat file's age, no node process per check
    expect(svc.healthcheck.test).toEqual(['CMD-SHELL', 'find /tmp/vnflab-heartbeat -mmin -0.1 | grep -q .']);
    expect(svc.read_only).toBe(true);
    expect(svc.volumes).toContainEqual({ type: 'tmpfs', target: '/tmp' });
    expect(svc.networks).toEqual(['chain']);
    expect(svc.environment.VNFLAB_STAGE).toBe(entry.name);
    expect(svc.image).toBe(`vnflab/${entry.stage}:\${VNFLAB_VERSION:-0.1.0}`);
    // the chain file it reads is mounted from a config
    const target = svc.environment.VNFLAB_CONFIG;
    const cfg = svc.configs.find((c: any) => c.target === target);
    expect({ stage: entry.name, target, config: stack.configs[cfg?.source]?.file }).toEqual({
      stage: entry.name,
      target,
      config: '../../chains/default.yaml',
    });
    const def = registry.get(entry.stage);
    if (def.role !== 'source' && def.variants.length > 1)
      expect(svc.environment.VNFLAB_VARIANT).toBe(
        `\${${entry.name.toUpperCase().replace(/-/g, '_')}_VARIANT:-${entry.variant}}`,
      );
    // compose-only keys Swarm ignores are not used
    for (const k of ['build', 'depends_on', 'mem_limit', 'restart', 'profiles', 'tmpfs'])
      expect({ stage: entry.name, key: k, present: k in svc }).toEqual({ stage: entry.name, key: k, present: false });
  }
  // no stage that the default chain does not run (Swarm has no compose profiles)
  const others = registry.all().filter((d) => !chain.stages.some((s) => s.stage === d.stage));
  for (const d of others) expect(Object.keys(stack.services)).not.toContain(d.stage);
});

test('the token comes from the shell, required, with no default; the network is an attachable overlay', () => {
  const token = stack.services.nic.environment.VNFLAB_CONTROL_TOKEN as string;
  expect(token).toMatch(/^\$\{VNFLAB_CONTROL_TOKEN:\?[^}]+\}$/);
  // docker stack's interpolation reads a "-" in the message as a default value
  expect(token.slice('${VNFLAB_CONTROL_TOKEN:?'.length)).not.toContain('-');
  expect(stack.networks.chain).toEqual({ driver: 'overlay', attachable: true });
});

test('Redis, Prometheus (tasks.<service> discovery) and Grafana (provisioned as in compose) are in the stack', () => {
  for (const s of ['redis', 'prometheus', 'grafana']) {
    expect({ s, deploy: !!stack.services[s]?.deploy?.resources?.limits }).toEqual({ s, deploy: true });
    expect(stack.services[s].healthcheck.test.length).toBeGreaterThan(1);
  }
  expect(stack.services.redis.ports).toBeUndefined();
  for (const s of ['prometheus', 'grafana'])
    for (const p of stack.services[s].ports) expect({ s, mode: p.mode }).toEqual({ s, mode: 'host' });
  const prom = parse(readFileSync(join(ROOT, 'infra/prometheus/prometheus-swarm.yml'), 'utf8')) as any;
  const names = prom.scrape_configs[0].dns_sd_configs[0].names as string[];
  expect(names).toEqual(chain.stages.map((s) => `tasks.${s.name}`));
  const mounted = (svc: string) =>
    Object.fromEntries(stack.services[svc].configs.map((c: any) => [c.target, stack.configs[c.source].file]));
  expect(mounted('prometheus')['/etc/prometheus/prometheus.yml']).toBe('../../infra/prometheus/prometheus-swarm.yml');
  const grafana = mounted('grafana');
  expect(grafana['/etc/grafana/provisioning/datasources/prometheus.yml']).toBe(
    '../../infra/grafana/provisioning/datasources/prometheus.yml',
  );
  expect(grafana['/var/lib/grafana/dashboards/vnflab-overview.json']).toBe('../../dashboards/vnflab-overview.json');
  // every config file exists, relative to the stack file as docker stack deploy reads it
  for (const [name, c] of Object.entries(stack.configs as Record<string, { file: string }>))
    expect({ name, exists: existsSync(resolve(dirname(STACK), c.file)) }).toEqual({ name, exists: true });
});

test('docker stack config accepts the stack (the Docker CLI, where installed)', () => {
  const help = spawnSync('docker', ['stack', 'config', '--help'], { encoding: 'utf8' });
  if (help.status !== 0) {
    console.log(`skipped: no Docker CLI with "docker stack config" (${(help.error?.message ?? help.stderr).trim()})`);
    return;
  }
  // client-side only: interpolation, the compose schema and the config files, no engine needed
  const env = { ...process.env, VNFLAB_CONTROL_TOKEN: 'x'.repeat(8) + Math.random().toString(16).slice(2) };
  const r = spawnSync('docker', ['stack', 'config', '-c', STACK], { encoding: 'utf8', env });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  const out = parse(r.stdout) as any;
  expect(out.services.nic.environment.VNFLAB_CONTROL_TOKEN).toBe(env.VNFLAB_CONTROL_TOKEN);
  expect(out.services['kernel-path'].deploy.update_config.order).toBe('start-first');
  // the offline override: the images infra/docker/build-offline.sh makes, Grafana without a task
  const off = spawnSync(
    'docker',
    ['stack', 'config', '-c', STACK, '-c', join(ROOT, 'deploy/swarm/stack.offline.yml')],
    {
      encoding: 'utf8',
      env,
    },
  );
  expect({ status: off.status, stderr: off.stderr }).toEqual({ status: 0, stderr: '' });
  const offline = parse(off.stdout) as any;
  expect(offline.services.redis.image).toBe('vnflab/redis:7.0-bookworm');
  expect(offline.services.grafana.deploy.replicas).toBe(0);
  expect(offline.services.nic.deploy.update_config.order).toBe('start-first');
  // and without a token it refuses, naming the variable
  const { VNFLAB_CONTROL_TOKEN: _, ...noToken } = env;
  const r2 = spawnSync('docker', ['stack', 'config', '-c', STACK], { encoding: 'utf8', env: noToken });
  expect(r2.status).not.toBe(0);
  expect(r2.stderr).toMatch(/VNFLAB_CONTROL_TOKEN/);
});
