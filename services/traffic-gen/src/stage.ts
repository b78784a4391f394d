// The traffic-gen stage definition for the registry (chain files, CLI, services).

import type { StageDefinition } from '@vnflab/core';
import { TrafficGenerator } from './generator';
import { GeneratorSettingsSchema, type GeneratorSettings } from './settings';

export const trafficGenStage: StageDefinition = {
  stage: 'traffic-gen',
  variants: ['udp', 'tcp', 'pcap'],
  settings: GeneratorSettingsSchema,
  description: 'Generates probe-carrying Ethernet/IPv4/UDP|TCP frames, or replays a capture',
  defaultCategory: 'app',
  create: (_variant, settings) => new TrafficGenerator(settings as GeneratorSettings),
};
