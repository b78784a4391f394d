// Discovery builds the registry from the workspaces' package.json files, so a stage is a folder:
// a workspace with "vnflab": { "stage": EXPORT } is found, others are not; a manifest that is not
// there or not named after its folder is a clear error.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverStages, stagePackages, workspaceDirs, workspaceRoot } from '../src';

/** A repository skeleton: root package.json with workspaces, and one package.json per folder. */
function skeleton(pkgs: Record<string, object>): string {
  const root = mkdtempSync(join(tmpdir(), 'vnflab-discover-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'x', workspaces: ['packages/*', 'services/*'] }));
  for (const [dir, pkg] of Object.entries(pkgs)) {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, 'package.json'), JSON.stringify(pkg));
  }
  mkdirSync(join(root, 'services', 'no-package'), { recursive: true }); // a folder that is no workspace
  return root;
}

test('the repository root is found from inside it, and every stage folder is a stage', () => {
  const root = workspaceRoot();
  expect(workspaceDirs(root).some((d) => d.endsWith(join('packages', 'core')))).toBe(true);
  const stages = stagePackages(root).map((p) => p.name);
  expect(stages).toEqual(
    expect.arrayContaining([
      '@vnflab/nic',
      '@vnflab/lb',
      '@vnflab/traffic-gen',
      '@vnflab/backends',
      '@vnflab/kernel-path',
    ]),
  );
  expect(stages).not.toContain('@vnflab/core');
  expect(stages).not.toContain('@vnflab/controller');
});

test('a workspace with a stage marker is registered; one without is not', () => {
  const root = skeleton({
    'services/nic': { name: '@vnflab/nic', vnflab: { stage: 'nicStage' } },
    'services/backends': { name: '@vnflab/backends', vnflab: { stage: 'backendsStage' } },
    'packages/tool': { name: '@vnflab/tool' },
  });
  const reg = discoverStages(root);
  expect(reg.all().map((d) => d.stage)).toEqual(['nic', 'backends']); // elements before the sink
});

test('a marker naming an export the package lacks is an error naming both', () => {
  const root = skeleton({ 'services/nic': { name: '@vnflab/nic', vnflab: { stage: 'nicManifest' } } });
  expect(() => discoverStages(root)).toThrow(
    '@vnflab/nic: package.json names "nicManifest" as its stage manifest, but the package exports no such manifest',
  );
});

test('a manifest not named after its folder is refused', () => {
  const root = skeleton({ 'services/network-card': { name: '@vnflab/nic', vnflab: { stage: 'nicStage' } } });
  expect(() => discoverStages(root)).toThrow(`the manifest's stage "nic" is not its folder's name "network-card"`);
});
