// A container whose vnflab.variant label is empty runs the chain file's variant: compose leaves
// <STAGE>_VARIANT unset (docker-compose.yml's `${NIC_VARIANT:-}`), so the service host keeps the
// variant the active chain file names. The chain view reports that variant, and a swap to it
// leaves such a container alone, as it does one labelled with it.

import { join } from 'node:path';
import type Docker from 'dockerode';
import { discoverStages, loadChainFile } from '@vnflab/core';
import { Controller } from '../src/controller';

const ROOT = join(__dirname, '../../..');
const chain = loadChainFile(join(ROOT, 'chains/default.yaml'), discoverStages());

/** Docker's list and inspect JSON for one running nic container labelled `variant`. */
function engine(variant: string): Docker {
  const labels = { 'com.docker.compose.project': 'myproj', 'vnflab.stage': 'nic', 'vnflab.variant': variant };
  return {
    listContainers: async () => [
      {
        Id: 'a'.repeat(64),
        Names: ['/myproj-nic-1'],
        Image: 'vnflab/nic:0.1.0',
        State: 'running',
        Status: 'Up',
        Labels: labels,
      },
    ],
    getContainer: () => ({
      inspect: async () => ({
        Id: 'a'.repeat(64),
        Name: '/myproj-nic-1',
        Config: { Labels: labels, Env: [] },
        State: { Running: true },
      }),
    }),
  } as unknown as Docker;
}

test("an empty variant label reads as the chain file's variant in the chain view", async () => {
  expect(chain.stages.find((s) => s.stage === 'nic')!.variant).toBe('passthrough');
  const view = await new Controller({ docker: engine(''), project: 'myproj', chain }).chainView();
  expect(view.stages.find((s) => s.stage === 'nic')!.variants).toEqual(['passthrough']);
  // a label that names a variant is shown as it is
  const labelled = await new Controller({ docker: engine('virtio'), project: 'myproj', chain }).chainView();
  expect(labelled.stages.find((s) => s.stage === 'nic')!.variants).toEqual(['virtio']);
});

test("a swap to the chain file's variant leaves a container with an empty label unchanged", async () => {
  const report = await new Controller({ docker: engine(''), project: 'myproj', chain }).swap({
    stage: 'nic',
    variant: 'passthrough',
  });
  expect(report.unchanged).toEqual(['myproj-nic-1']);
  expect(report.replicas).toEqual([]);
});
