// Every Kubernetes object under deploy/kubernetes validates against the OpenAPI schema of its kind
// and API version (kubernetes-models, offline); overlays are rendered and what they render
// validates too. KEDA's ScaledObject is a custom resource with no schema package here: its
// required fields are checked by hand below. Nothing here runs a cluster: the manifests are
// validated, not deployed.

import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { RedisBus, discoverStages, loadChainFile } from '@vnflab/core';
import { runPrefix } from '@vnflab/runtime';
import {
  K8S,
  ROOT,
  label,
  patchFiles,
  readDocs,
  renderKustomization,
  schemaProblems,
  unknownFieldProblems,
  yamlFilesUnder,
  type Doc,
  type Obj,
} from './helpers/kubernetes';

const registry = discoverStages();
const chain = loadChainFile(join(ROOT, 'chains/default.yaml'), registry);
const overlaysDir = join(K8S, 'overlays');
const overlays = readdirSync(overlaysDir).sort();
const variantOverlays = overlays.filter((o) => o !== 'autoscale');

/* eslint-disable @typescript-eslint/no-explicit-any -- walking parsed YAML */
const isKeda = (o: Obj) => o.apiVersion === 'keda.sh/v1alpha1';
const isKustomization = (o: Obj) => o.kind === 'Kustomization';

const base = renderKustomization(join(K8S, 'base'));
const find = (docs: Doc[], kind: string, name: string): any =>
  docs.find((d) => d.obj.kind === kind && d.obj.metadata?.name === name)?.obj;
const envOf = (dep: any): Record<string, any> =>
  Object.fromEntries(dep.spec.template.spec.containers[0].env.map((e: any) => [e.name, e]));

test('every YAML document under deploy/kubernetes validates against the schema of its kind', () => {
  const patches = patchFiles();
  const problems: string[] = [];
  const kinds = new Set<string>();
  let validated = 0;
  for (const path of yamlFilesUnder(K8S)) {
    const rel = relative(ROOT, path);
    for (const doc of readDocs(path)) {
      // kustomizations are checked by rendering them; patch files once applied; KEDA by hand
      if (isKustomization(doc.obj) || patches.has(rel) || isKeda(doc.obj)) continue;
      problems.push(...schemaProblems(doc));
      kinds.add(`${doc.obj.apiVersion} ${doc.obj.kind}`);
      validated++;
    }
  }
  expect(problems).toEqual([]);
  expect([...kinds].sort()).toEqual([
    'apps/v1 Deployment',
    'apps/v1 StatefulSet',
    'networking.k8s.io/v1 NetworkPolicy',
    'policy/v1 PodDisruptionBudget',
    'v1 ConfigMap',
    'v1 Namespace',
    'v1 Service',
  ]);
  // per stage a Deployment, a Service and a PDB; Redis three; the namespace, three ConfigMaps, the policies
  expect(validated).toBeGreaterThanOrEqual(chain.stages.length * 3 + 3 + 1 + 3 + 4);
});

test('a failure names the file, the kind/name and the field', () => {
  const doc = readDocs(join(K8S, 'base/stage-nic.yaml')).find((d) => d.obj.kind === 'Deployment') as Doc;
  const broken = structuredClone(doc.obj) as any;
  broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
  broken.spec.strategy.type = 7;
  const lines = schemaProblems({ file: doc.file, obj: broken });
  expect(lines).toContainEqual(
    expect.stringMatching(
      /^deploy\/kubernetes\/base\/stage-nic\.yaml: Deployment\/nic: \/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/,
    ),
  );
  expect(lines).toContainEqual(expect.stringMatching(/Deployment\/nic: \/spec\/strategy\/type must be string/));
  expect(
    schemaProblems({ file: 'x.yaml', obj: { apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'y' } } }),
  ).toEqual(['x.yaml: Deploymnet/y: no schema for apps/v1 Deploymnet']);
});

test('no object has a field its kind does not know (the schemas let unknown keys through)', () => {
  const patches = patchFiles();
  const docs = yamlFilesUnder(K8S)
    .filter((p) => !patches.has(relative(ROOT, p)))
    .flatMap(readDocs)
    .filter((d) => !isKustomization(d.obj) && !isKeda(d.obj));
  const rendered = overlays.flatMap((o) => renderKustomization(join(overlaysDir, o))).filter((d) => !isKeda(d.obj));
  expect(unknownFieldProblems([...docs, ...rendered])).toEqual([]);
  // and it does catch one
  const dep = structuredClone(docs.find((d) => d.obj.kind === 'Deployment') as Doc);
  (dep.obj as any).spec.template.spec.containers[0].readinessProbes = {};
  expect(unknownFieldProblems([dep])).toEqual([
    expect.stringMatching(
      new RegExp(`^${dep.file}: ${label(dep.obj)}: .*'"?readinessProbes"?' does not exist in type`),
    ),
  ]);
});

test('every overlay renders, and every object it renders validates', () => {
  const problems: string[] = [];
  for (const o of overlays) {
    for (const doc of renderKustomization(join(overlaysDir, o)))
      if (!isKeda(doc.obj)) problems.push(...schemaProblems(doc));
  }
  expect(problems).toEqual([]);
});

test('an overlay per allowlisted variant, each setting VNFLAB_VARIANT on its stage only', () => {
  const allow = chain.controller?.variants ?? {};
  const want = Object.entries(allow).flatMap(([s, vs]) => Object.keys(vs).map((v) => `${s}-${v}`));
  expect(want.length).toBeGreaterThan(0);
  expect(variantOverlays).toEqual([...want].sort());
  for (const [stage, vs] of Object.entries(allow)) {
    for (const variant of Object.keys(vs)) {
      const docs = renderKustomization(join(overlaysDir, `${stage}-${variant}`));
      expect({ stage, variant: envOf(find(docs, 'Deployment', stage)).VNFLAB_VARIANT?.value }).toEqual({
        stage,
        variant,
      });
      expect(registry.get(chain.stages.find((s) => s.name === stage)!.stage).variants).toContain(variant);
      // the other stages keep the base's
      for (const other of chain.stages.filter((s) => s.name !== stage))
        expect(find(docs, 'Deployment', other.name)).toEqual(find(base, 'Deployment', other.name));
    }
  }
});

test('kubectl kustomize, where installed, renders what these checks rendered', () => {
  if (spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status !== 0) {
    console.log('kubectl is not installed: the overlays were rendered by test/helpers/kubernetes.ts only');
    return;
  }
  const byName = (docs: Obj[]) =>
    Object.fromEntries(docs.map((o) => [`${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`, o]));
  for (const dir of ['base', ...overlays.map((o) => `overlays/${o}`)]) {
    const r = spawnSync('kubectl', ['kustomize', join(K8S, dir)], { encoding: 'utf8' });
    expect({ dir, stderr: r.stderr, status: r.status }).toEqual({ dir, stderr: '', status: 0 });
    const theirs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
    const ours = renderKustomization(join(K8S, dir)).map((d) => d.obj);
    expect({ dir, objects: byName(theirs) }).toEqual({ dir, objects: byName(ours) });
    for (const o of theirs)
      if (!isKeda(o)) expect(schemaProblems({ file: `kubectl kustomize ${dir}`, obj: o })).toEqual([]);
  }
});

test('every chain stage: a Deployment rolled blue/green, hardened, probed on its health endpoints, its token from the Secret', () => {
  for (const entry of chain.stages) {
    const dep = find(base, 'Deployment', entry.name);
    expect({ stage: entry.name, found: !!dep }).toEqual({ stage: entry.name, found: true });
    expect(dep.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    const env = envOf(dep);
    expect(env.VNFLAB_STAGE.value).toBe(entry.name);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    // /tmp writable on a read-only root
    const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: any) => v.name === tmp.name).emptyDir).toBeDefined();
    // the probes hit the service host's endpoints on the port it listens on
    const port = Number(env.VNFLAB_PORT.value);
    expect(c.ports).toEqual([{ name: 'http', containerPort: port }]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(dep.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(port));
    expect(c.resources.limits.memory).toBeDefined();
    expect(c.resources.requests.cpu).toBeDefined();
    // the chain file the stage reads is in the mounted ConfigMap
    const chains = find(base, 'ConfigMap', 'vnflab-chains');
    const mount = c.volumeMounts.find((m: any) => m.name === 'chains').mountPath;
    expect(env.VNFLAB_CONFIG.value.startsWith(`${mount}/`)).toBe(true);
    expect(Object.keys(chains.data)).toContain(env.VNFLAB_CONFIG.value.slice(mount.length + 1));
    // the token: from the Secret, never a value in the files nor on the command line
    expect(env.VNFLAB_CONTROL_TOKEN).toEqual({
      name: 'VNFLAB_CONTROL_TOKEN',
      valueFrom: { secretKeyRef: { name: 'vnflab-control-token', key: 'token' } },
    });
    expect(c.args).toBeUndefined();
    expect(c.command).toBeUndefined();
    const def = registry.get(entry.stage);
    if (def.role !== 'source' && def.variants.length > 1) expect(env.VNFLAB_VARIANT.value).toBe(entry.variant);
    expect(find(base, 'Service', entry.name).spec.ports[0].port).toBe(port);
    expect(find(base, 'PodDisruptionBudget', entry.name).spec.selector).toEqual(dep.spec.selector);
  }
  expect(base.some((d) => d.obj.kind === 'Secret')).toBe(false);
  expect(find(base, 'StatefulSet', 'redis')).toBeDefined();
  expect(find(base, 'ConfigMap', 'vnflab-dashboards').metadata.labels.grafana_dashboard).toBe('1');
});

/** Does a NetworkPolicy peer's podSelector (same namespace) select a pod with these labels? */
const selects = (sel: any, labels: Record<string, string>) =>
  Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
const podLabels = (kind: string, name: string) => find(base, kind, name).spec.template.metadata.labels;

test('NetworkPolicies: only chain stages reach Redis, only the controller and Prometheus the stages, the controller only from its namespace', () => {
  const policies = base.filter((d) => d.obj.kind === 'NetworkPolicy').map((d) => d.obj as any);
  const deny = policies.find((p) => p.metadata.name === 'default-deny-ingress');
  expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
  const redis = podLabels('StatefulSet', 'redis');
  const toRedis = policies.filter((p) => selects(p.spec.podSelector, redis));
  // the deny-all and the one that lets the chain in
  expect(toRedis.map((p) => p.metadata.name).sort()).toEqual(['default-deny-ingress', 'redis-from-chain-stages']);
  const peers = toRedis.flatMap((p) => (p.spec.ingress ?? []).flatMap((r: any) => r.from));
  expect(peers.length).toBeGreaterThan(0);
  for (const entry of chain.stages) {
    const stage = podLabels('Deployment', entry.name);
    expect({
      stage: entry.name,
      reachesRedis: peers.some((f: any) => !f.namespaceSelector && selects(f.podSelector, stage)),
    }).toEqual({
      stage: entry.name,
      reachesRedis: true,
    });
    const toStage = policies.filter(
      (p) => p.metadata.name !== 'default-deny-ingress' && selects(p.spec.podSelector, stage),
    );
    const from = toStage.flatMap((p) => p.spec.ingress.flatMap((r: any) => r.from));
    const names = from.map((f: any) => f.podSelector.matchLabels['app.kubernetes.io/name']).sort();
    expect(names).toEqual(['controller', 'prometheus']);
  }
  // nothing that is not a chain stage (a controller, Prometheus) is let into Redis
  expect(peers.some((f: any) => selects(f.podSelector, { 'app.kubernetes.io/name': 'controller' }))).toBe(false);
  const ctl = policies.find((p) => p.metadata.name === 'controller-from-namespace');
  expect(ctl.spec.ingress).toEqual([{ from: [{ podSelector: {} }] }]);
});

test('KEDA ScaledObjects (required fields checked by hand: a CRD, no schema package): one per middle stage, on its hop and consumer group', () => {
  const docs = renderKustomization(join(overlaysDir, 'autoscale'));
  const scaled = docs.filter((d) => isKeda(d.obj)).map((d) => d.obj as any);
  const middle = chain.stages.filter((s) => registry.get(s.stage).role === 'element');
  expect(scaled.map((s) => s.metadata.name).sort()).toEqual(middle.map((s) => s.name).sort());
  // the bus's own key naming (no connection: only its key functions are used)
  const bus = Object.create(RedisBus.prototype) as RedisBus;
  (bus as unknown as { opts: { prefix: string } }).opts = { prefix: runPrefix(chain.name, 'main') };
  const ns = find(docs, 'Namespace', 'vnflab').metadata.name;
  for (const so of scaled) {
    const at = `ScaledObject/${so.metadata.name}`;
    expect({ at, kind: so.kind, ns: so.metadata.namespace }).toEqual({ at, kind: 'ScaledObject', ns });
    const target = find(docs, 'Deployment', so.spec.scaleTargetRef.name);
    expect({ at, target: !!target, replicas: target?.spec.replicas }).toEqual({
      at,
      target: true,
      replicas: undefined,
    });
    expect(Number.isInteger(so.spec.minReplicaCount) && so.spec.minReplicaCount >= 1).toBe(true);
    expect(so.spec.maxReplicaCount).toBeGreaterThan(so.spec.minReplicaCount);
    expect(so.spec.triggers).toHaveLength(1);
    const t = so.spec.triggers[0];
    expect(t.type).toBe('redis-streams');
    for (const [k, v] of Object.entries(t.metadata))
      expect({ at, k, type: typeof v }).toEqual({ at, k, type: 'string' });
    expect(t.metadata.stream).toBe(bus.streamKey(so.metadata.name));
    expect(t.metadata.consumerGroup).toBe(so.metadata.name);
    const lag = Number(t.metadata.lagCount);
    // the lag of a bounded hop never passes its bound
    expect(Number.isInteger(lag) && lag >= 1 && lag <= chain.bus.bound).toBe(true);
    expect(t.metadata.address).toBe(`redis.${ns}.svc:${find(docs, 'Service', 'redis').spec.ports[0].port}`);
  }
  // KEDA's operator may read Redis; nothing else is opened
  const keda = find(docs, 'NetworkPolicy', 'redis-from-keda');
  expect(keda.spec.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('keda');
});

test('the Secret is never shipped; the README says how to create it', () => {
  for (const path of yamlFilesUnder(K8S))
    for (const d of readDocs(path))
      expect({ file: d.file, kind: d.obj.kind }).not.toEqual({ file: d.file, kind: 'Secret' });
  const command =
    'kubectl -n vnflab create secret generic vnflab-control-token --from-literal=token=$(openssl rand -hex 16)';
  expect({ command, inReadme: readFileSync(join(ROOT, 'README.md'), 'utf8').includes(command) }).toEqual({
    command,
    inReadme: true,
  });
});
