// The deployment files that list stages (compose services, Prometheus targets and rules, the
// dashboards' stage lists) are what the stage manifests give: a stage folder added without
// `npm run generate` fails here, naming the stage.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { join } from 'node:path';
import { StageRegistry, discoverStages, loadChainFile, type StageDefinition } from '@vnflab/core';

// plain CommonJS scripts: the generators that write these files
// eslint-disable-next-line @typescript-eslint/no-require-imports
const deploy = require('../scripts/generate-deploy.js') as {
  staleFiles(registry: StageRegistry, defaultStages: string[], root?: string): string[];
  composeStages(
    registry: StageRegistry,
    defaultStages: string[],
    chains?: { name: string; stages: string[] }[],
  ): string;
  HEARTBEAT_FILE: string;
  HEALTHCHECK_CMD: string;
  HEALTHCHECK_INTERVAL_S: number;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dashboards = require('../dashboards/build.js') as { dashboardFiles(registry: StageRegistry): [string, string][] };

const ROOT = join(__dirname, '..');
const registry = discoverStages();
const defaultStages = loadChainFile(join(ROOT, 'chains/default.yaml'), registry).stages.map((s) => s.stage);

/** The discovered registry plus one more element stage, as if its folder had just been added. */
function withNewStage(name: string): StageRegistry {
  const reg = new StageRegistry();
  for (const d of registry.all()) reg.register(d);
  const nic = registry.get('nic');
  return reg.register({ ...nic, stage: name, flags: [] } as StageDefinition);
}

test('compose, Prometheus and its rules match the manifests', () => {
  expect(deploy.staleFiles(registry, defaultStages)).toEqual([]);
});

test('Kubernetes and Swarm files: a variant dropped from the allowlist leaves a stale overlay, a deleted or edited file is named', () => {
  const root = mkdtempSync(join(tmpdir(), 'vnflab-deploy-'));
  try {
    for (const p of ['docker-compose.yml', 'chains', 'dashboards', 'infra', 'deploy'])
      cpSync(join(ROOT, p), join(root, p), { recursive: true });
    expect(deploy.staleFiles(registry, defaultStages, root)).toEqual([]);
    const chainFile = join(root, 'chains/default.yaml');
    const text = readFileSync(chainFile, 'utf8');
    expect(text).toContain(', emulated: {} }');
    writeFileSync(chainFile, text.replace(', emulated: {} }', ' }'));
    rmSync(join(root, 'deploy/kubernetes/base/stage-lb.yaml'));
    const stack = join(root, 'deploy/swarm/stack.yml');
    writeFileSync(stack, readFileSync(stack, 'utf8').replace('order: start-first', 'order: stop-first'));
    expect(deploy.staleFiles(registry, defaultStages, root).sort()).toEqual(
      [
        'deploy/kubernetes/overlays/nic-emulated/kustomization.yaml is no longer generated: run node scripts/generate-deploy.js',
        'deploy/kubernetes/overlays/nic-emulated/variant.yaml is no longer generated: run node scripts/generate-deploy.js',
        'deploy/kubernetes/base/stage-lb.yaml is missing: run node scripts/generate-deploy.js',
        // the chain file's ConfigMap holds the edited file
        'deploy/kubernetes/base/configmap-chains.yaml is not what the stage manifests give: run node scripts/generate-deploy.js',
        'deploy/swarm/stack.yml is not what the stage manifests give: run node scripts/generate-deploy.js',
      ].sort(),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a stage the files do not list makes the check fail, naming it', () => {
  const stale = deploy.staleFiles(withNewStage('firewall-x'), defaultStages);
  expect(stale.length).toBeGreaterThanOrEqual(2);
  for (const line of stale) expect(line).toMatch(/missing stages: firewall-x/);
});

test('a stage outside the default chain that no chain file uses gets a compose profile of its own', () => {
  const text = deploy.composeStages(withNewStage('firewall-x'), defaultStages);
  expect(text).toMatch(/ {2}firewall-x:\n(?: {4}.*\n)*? {4}profiles: \[firewall-x\]/);
  expect(text).not.toMatch(/ {2}nic:\n(?: {4}.*\n)*? {4}profiles:/);
});

test('a stage outside the default chain gets the profiles of the chain files that use it', () => {
  const chains = [
    { name: 'default', stages: defaultStages },
    { name: 'edge', stages: ['traffic-gen', 'firewall-x', 'nic', 'backends'] },
    { name: 'lab', stages: ['traffic-gen', 'firewall-x', 'backends'] },
  ];
  const text = deploy.composeStages(withNewStage('firewall-x'), defaultStages, chains);
  expect(text).toMatch(/ {2}firewall-x:\n(?: {4}.*\n)*? {4}profiles: \[edge, lab\]\n/);
});

test('docker-compose.yml: chain-file profiles, the chain file variant when none is set, each source waits for its chains end', () => {
  type Service = { profiles?: string[]; environment: Record<string, string>; depends_on?: Record<string, unknown> };
  const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
  };
  const svc = compose.services;
  expect(svc['http-client'].profiles).toEqual(['web']);
  expect(svc['web-server'].profiles).toEqual(['web']);
  expect(svc.firewall.profiles).toEqual(['firewall']);
  for (const s of defaultStages) expect({ s, profiles: svc[s].profiles }).toEqual({ s, profiles: undefined });
  // unset, VNFLAB_VARIANT is empty and the service runs the active chain file's variant
  expect(svc.nic.environment.VNFLAB_VARIANT).toBe('${NIC_VARIANT:-}');
  expect(svc['kernel-path'].environment.VNFLAB_VARIANT).toBe('${KERNEL_PATH_VARIANT:-}');
  // a stage the active chain file lacks idles (packages/runtime/src/service/idle-stage.ts)
  expect(svc.lb.environment.VNFLAB_NOT_IN_CHAIN).toBe('idle');
  // the closed loop's client waits for the web server, the generator for the backends
  expect(Object.keys(svc['http-client'].depends_on ?? {}).sort()).toEqual(['redis', 'web-server']);
  expect(Object.keys(svc['traffic-gen'].depends_on ?? {}).sort()).toEqual(['backends', 'redis']);
});

test('the dashboards are what dashboards/build.js writes from the manifests', () => {
  for (const [file, text] of dashboards.dashboardFiles(registry)) {
    expect({ file, same: readFileSync(file, 'utf8') === text }).toEqual({ file, same: true });
  }
  // a stage with a descriptor ring joins the ring-occupancy panel; per-stage CPU pies repeat by
  // a dashboard variable, so they need no list
  const withNew = dashboards
    .dashboardFiles(withNewStage('firewall-x'))
    .map(([, t]) => t)
    .join('');
  expect(withNew).toMatch(/vnflab_ring_occupancy\{stage=~\\"[a-z|-]*firewall-x/);
});

test('every stage and the controller check health by the heartbeat file in the shell, never by starting node', () => {
  const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { healthcheck?: { test: string[]; interval: string; start_period?: string } }>;
  };
  const ours = [...registry.all().map((d) => d.stage), 'controller'];
  for (const name of ours) {
    const hc = compose.services[name]?.healthcheck;
    expect({ name, test: hc?.test }).toEqual({ name, test: ['CMD-SHELL', deploy.HEALTHCHECK_CMD] });
    // one interval for all (Docker runs the first check one interval after start, so start-up
    // waits up to one per depends_on step; each check is a docker exec: heartbeat-check.js)
    expect({ name, interval: hc?.interval }).toEqual({ name, interval: `${deploy.HEALTHCHECK_INTERVAL_S}s` });
  }
  expect(deploy.HEALTHCHECK_CMD).toContain(deploy.HEARTBEAT_FILE);
  expect(deploy.HEALTHCHECK_CMD).not.toContain('$'); // compose would interpolate it
  for (const [name, s] of Object.entries(compose.services))
    expect({ name, node: JSON.stringify(s.healthcheck ?? {}).includes('node') }).toEqual({ name, node: false });
  // the images run the same check and name the same file for the process to touch
  for (const file of ['Dockerfile', 'infra/docker/Dockerfile.offline']) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect({ file, check: text.includes(`  CMD ${deploy.HEALTHCHECK_CMD}\n`) }).toEqual({ file, check: true });
    const every = new RegExp(`HEALTHCHECK --interval=${deploy.HEALTHCHECK_INTERVAL_S}s `);
    expect({ file, interval: every.test(text) }).toEqual({ file, interval: true });
    expect({ file, env: text.includes(`VNFLAB_HEARTBEAT_FILE=${deploy.HEARTBEAT_FILE}`) }).toEqual({ file, env: true });
    expect({ file, node: /HEALTHCHECK[^\n]*\\\n.*node/.test(text) }).toEqual({ file, node: false });
  }
});
