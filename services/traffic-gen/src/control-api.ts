// The generator's control API, a fastify plugin: read the traffic (rate, size, flows, running,
// and what was offered, sent and not sent) and change it at run time. A change applies before
// the next batch (TrafficGenerator.setTraffic). The host validates the body (TypeBox), answers
// errors and guards the write with the control token (packages/runtime/src/http), so this
// plugin holds only the routes.
//
//   mountControlRoutes(app, trafficGenStage.controlRoutes(gen), token)   // served under /traffic

import { Type } from '@sinclair/typebox';
import type { AuthMessages, TypeBoxPlugin } from '@vnflab/core';
import type { TrafficGenerator } from './generator';
import { GeneratorSettingsSchema } from './settings';

export interface TrafficControlOptions {
  generator: TrafficGenerator;
}

/** What a write without the control token, or with a wrong one, is told. */
export const TRAFFIC_AUTH_MESSAGES: AuthMessages = {
  missing: 'this operation changes the traffic and needs the header "authorization: Bearer <token>"',
  invalid: 'the bearer token is not valid for this traffic generator',
};

const field = GeneratorSettingsSchema.properties;

export const PutTrafficBody = Type.Object(
  {
    rate: Type.Optional(field.rate),
    size: Type.Optional(field.size),
    flows: Type.Optional(field.flows),
    flush_ms: Type.Optional(field.flush_ms),
    running: Type.Optional(Type.Boolean({ description: 'false pauses the generator, true resumes it' })),
    end: Type.Optional(
      Type.Literal(true, { description: 'ends the run: the generator is done and the chain drains and finishes' }),
    ),
  },
  { additionalProperties: false },
);

export const trafficControlPlugin: TypeBoxPlugin<TrafficControlOptions> = async (app, opts) => {
  const { generator } = opts;
  if (!generator) throw new Error('trafficControlPlugin: option "generator" (the TrafficGenerator) is required');

  app.get('/', async () => generator.traffic());

  // a change the generator cannot make (a size too small for the protocol, flows of a replay) is a TrafficError: 400
  app.put('/', { schema: { body: PutTrafficBody } }, async (req) => generator.setTraffic(req.body));
};
