// The types of a stage's own HTTP control routes (e.g. the lb's /lb). Core only names the types
// (a type-only dependency on fastify); the host in packages/runtime/src/http serves them.

import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyPluginOptions, FastifyTypeProvider, RawServerDefault } from 'fastify';

/** Route schemas are TypeBox: a handler's body, params and query are typed from them. */
export interface TypeBoxTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
}

/** A fastify plugin whose routes declare TypeBox schemas. */
export type TypeBoxPlugin<O extends FastifyPluginOptions = Record<never, never>> = FastifyPluginAsync<
  O,
  RawServerDefault,
  TypeBoxTypeProvider
>;

/** What a refused write is told: without the bearer token, and with a wrong one. */
export interface AuthMessages {
  missing: string;
  invalid: string;
}

/** A stage's control routes, bound to its element; the host mounts them under `prefix` with writes behind the control token. */
export interface ControlRoutes {
  prefix: string;
  routes: TypeBoxPlugin;
  auth: AuthMessages;
}
