// Every stage in packet order, registered straight from the stage packages, so these tests
// need no command-line package to validate chains or build elements.

import { StageRegistry } from '@vnflab/core';
import { backendsStage } from '@vnflab/backends';
import { kernelPathStage } from '@vnflab/kernel-path';
import { lbStage } from '@vnflab/lb';
import { nicStage } from '@vnflab/nic';
import { trafficGenStage } from '@vnflab/traffic-gen';

export function stageRegistry(): StageRegistry {
  return new StageRegistry()
    .register(trafficGenStage)
    .register(nicStage)
    .register(kernelPathStage)
    .register(lbStage)
    .register(backendsStage);
}
