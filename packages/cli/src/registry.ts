// Every stage the lab knows, in packet order. Services register here once.

import { StageRegistry } from '@vnflab/core';
import { trafficGenStage } from '@vnflab/traffic-gen';
import { backendsStage } from '@vnflab/backends';

export function createRegistry(): StageRegistry {
  return new StageRegistry().register(trafficGenStage).register(backendsStage);
}
