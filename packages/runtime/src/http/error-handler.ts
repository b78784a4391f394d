// How every vnflab HTTP API answers an error: `{error, message}`. A request the schema refused is
// 400 bad_request with the validator's message; an error that carries its own HTTP `status`
// (and `code`, e.g. the controller's ControllerError) is answered with them; anything else is a
// 500 (or what `serverError` makes of it).

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

const STATUS_NAMES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
};

export interface ErrorBody {
  error: string;
  message: string;
}

export interface HttpErrorOptions {
  /** Maps an unexpected error to an answer (e.g. an unreachable dependency to 503); default 500 internal. */
  serverError?(err: Error): { status: number; body: ErrorBody } | undefined;
  /** Called for every 5xx. */
  log?(err: Error, req: FastifyRequest): void;
}

export function httpErrorHandler(o: HttpErrorOptions = {}) {
  return (
    err: FastifyError | (Error & { status?: unknown; code?: unknown }),
    req: FastifyRequest,
    reply: FastifyReply,
  ): FastifyReply => {
    const own = (err as { status?: unknown }).status;
    if (typeof own === 'number' && own >= 400 && own <= 599) {
      if (own >= 500) o.log?.(err, req);
      const code = (err as { code?: unknown }).code;
      return reply.code(own).send({
        error: typeof code === 'string' ? code : (STATUS_NAMES[own] ?? (own >= 500 ? 'internal' : 'bad_request')),
        message: err.message,
      });
    }
    const status = (err as FastifyError).statusCode ?? 500;
    if (status >= 400 && status < 500)
      return reply.code(status).send({ error: STATUS_NAMES[status] ?? 'bad_request', message: err.message });
    o.log?.(err, req);
    const mapped = o.serverError?.(err);
    if (mapped) return reply.code(mapped.status).send(mapped.body);
    return reply.code(500).send({ error: 'internal', message: err.message });
  };
}
