// The backends stage definition for the registry.

import type { StageDefinition } from '@vnflab/core';
import { Backends, BackendsSettingsSchema, type BackendsSettings } from './backends';

export const backendsStage: StageDefinition = {
  stage: 'backends',
  variants: ['sink'],
  settings: BackendsSettingsSchema,
  description: 'Terminates the chain: verifies checksums, measures end-to-end latency, loss and reordering',
  defaultCategory: 'app',
  create: (_variant, settings) => new Backends(settings as BackendsSettings),
};
