// Request validation with TypeBox's compiler for every vnflab HTTP API (not Ajv): unknown keys
// are refused, never silently removed, nothing is coerced, and a message names the field in the
// one schema-error format (`body.weight: expected integer`, packages/core/src/chain/schema-errors.ts).

import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { formatSchemaErrors } from '@vnflab/core';
import type { FastifySchemaCompiler } from 'fastify';

export const typeboxValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema as TSchema);
  const part = httpPart ?? 'body';
  return (data: unknown) => {
    if (check.Check(data)) return { value: data };
    if (data === null || data === undefined) return { error: new Error(`${part}: a JSON ${part} is required`) };
    return { error: new Error(formatSchemaErrors(check.Errors(data), part, 5).join('; ')) };
  };
};
