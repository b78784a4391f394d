// The stages the lab knows: discovered from the workspaces (packages/core/src/chain/discover.ts),
// never listed here.

import { discoverStages, type StageRegistry } from '@vnflab/core';

export function createRegistry(): StageRegistry {
  return discoverStages();
}
