// A fastify app as every vnflab HTTP API has it: no request log, TypeBox schemas (typed handlers,
// validated by typebox-validator.ts), errors as `{error, message}` (error-handler.ts). A stage's
// own control routes are mounted in their own context behind the bearer guard.

import Fastify, {
  type FastifyInstance,
  type RawServerDefault,
  type FastifyBaseLogger,
  type RawRequestDefaultExpression,
  type RawReplyDefaultExpression,
} from 'fastify';
import type { ControlRoutes, TypeBoxTypeProvider } from '@vnflab/core';
import { bearerAuth } from './bearer-auth';
import { httpErrorHandler, type HttpErrorOptions } from './error-handler';
import { typeboxValidatorCompiler } from './typebox-validator';

export type HttpApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Sets the TypeBox validator and the error answer on `app` (and every context under it). */
export function useVnflabHttp(app: FastifyInstance, errors: HttpErrorOptions = {}): HttpApp {
  app.setValidatorCompiler(typeboxValidatorCompiler);
  app.setErrorHandler(httpErrorHandler(errors));
  return app.withTypeProvider<TypeBoxTypeProvider>();
}

export function createHttpApp(errors: HttpErrorOptions = {}): HttpApp {
  return useVnflabHttp(Fastify({ logger: false }), errors);
}

/** Mounts a stage's control routes under their prefix, writes behind `token` (undefined: writes off). */
export async function mountControlRoutes(
  app: FastifyInstance,
  mount: ControlRoutes,
  token: string | undefined,
): Promise<void> {
  await app.register(
    async (ctx) => {
      const typed = useVnflabHttp(ctx);
      await typed.register(bearerAuth, { token, messages: mount.auth, routes: mount.routes });
    },
    { prefix: mount.prefix },
  );
}
