// The backends stage manifest: the chain's sink. Backend names come from the stage that
// provides `backend_names` (the load balancer), so both label backends alike without the chain
// file repeating them.

import type { StageDefinition } from '@vnflab/core';
import { Backends, BackendsSettingsSchema, type BackendsSettings } from './backends';

export const backendsStage: StageDefinition = {
  stage: 'backends',
  role: 'sink',
  variants: ['sink'],
  settings: BackendsSettingsSchema,
  description: 'Terminates the chain: verifies checksums, measures end-to-end latency, loss and reordering',
  defaultCategory: 'app',
  reasons: ['duplicate'],
  needs: ['backend_names'],
  create: (_variant, settings, env) => {
    const s = settings as BackendsSettings;
    const named = (env.provided.backend_names ?? {}) as Record<string, string>;
    return new Backends({ ...s, names: { ...named, ...s.names } });
  },
};
