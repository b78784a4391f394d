// The traffic-gen stage manifest: the chain's source. It provides the destination port it sends
// to, which the guest kernel path opens a socket on when the chain file names none.

import type { StageDefinition } from '@vnflab/core';
import { TRAFFIC_AUTH_MESSAGES, trafficControlPlugin } from './control-api';
import { EVENTS } from './events';
import { GENERATOR_METRICS, TrafficGenerator } from './generator';
import { GeneratorSettingsSchema, type GeneratorSettings } from './settings';

/** The port of `dst` ("A.B.C.D:PORT"), when it has a valid one. */
function destinationPort(settings: Record<string, unknown>): number | undefined {
  const m = typeof settings.dst === 'string' ? /:(\d+)$/.exec(settings.dst) : null;
  const port = m ? Number(m[1]) : NaN;
  return port >= 1 && port <= 65535 ? port : undefined;
}

export const trafficGenStage: StageDefinition = {
  stage: 'traffic-gen',
  role: 'source',
  variants: ['udp', 'tcp', 'pcap'],
  settings: GeneratorSettingsSchema,
  description: 'Generates probe-carrying Ethernet/IPv4/UDP|TCP frames, or replays a capture',
  defaultCategory: 'app',
  events: EVENTS,
  metrics: GENERATOR_METRICS,
  provides: { destination_port: destinationPort },
  create: (_variant, settings) => new TrafficGenerator(settings as GeneratorSettings),
  controlRoutes: (element) => ({
    prefix: '/traffic',
    routes: async (app) => {
      await app.register(trafficControlPlugin, { generator: element as TrafficGenerator });
    },
    auth: TRAFFIC_AUTH_MESSAGES,
  }),
};
