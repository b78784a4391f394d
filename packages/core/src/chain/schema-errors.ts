// Schema errors in one format wherever input is checked (the chain file, a stage's settings, an
// HTTP request): `key.path[0].name: message`, one message per key, naming the known keys when a
// key is unknown. A schema may carry `errorMessage` to say what its pattern means in words.

import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';

/** `/stages/1/settings/x` under `prefix` -> `prefix.stages[1].settings.x` */
export function keyPath(pointer: string, prefix = ''): string {
  let out = prefix;
  for (const p of pointer.split('/').filter(Boolean)) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top level)';
}

/** What one error means, in words that name the rule rather than the regex. */
export function describeSchemaError(e: ValueError): string {
  const schema = e.schema as { properties?: object; errorMessage?: unknown };
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return `unknown key (known: ${Object.keys(schema.properties ?? {}).join(', ')})`;
    case ValueErrorType.StringPattern:
      if (typeof schema.errorMessage === 'string') return `${JSON.stringify(e.value)} ${schema.errorMessage}`;
      break;
    case ValueErrorType.Union: {
      // a choice of constants reads as the list; any other union by its description
      const u = e.schema as { description?: string; anyOf?: { const?: unknown }[] };
      const options = u.anyOf ?? [];
      if (options.length > 0 && options.every((o) => o.const !== undefined))
        return `${JSON.stringify(e.value)} is not one of ${options.map((o) => o.const).join(', ')}`;
      if (u.description) return `${JSON.stringify(e.value)} is not ${u.description}`;
    }
  }
  return e.message.charAt(0).toLowerCase() + e.message.slice(1);
}

/**
 * Errors as `key: message` under `prefix`, at most `max`, one per key: a missing key is not also
 * "expected string", and a union's inner errors do not repeat its own.
 */
export function formatSchemaErrors(errors: Iterable<ValueError>, prefix = '', max = 10): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    out.push(`${keyPath(e.path, prefix)}: ${describeSchemaError(e)}`);
    if (out.length >= max) break;
  }
  return [...new Set(out)];
}

/** Schema errors of `value` (none: an empty list). */
export function schemaErrors(schema: TSchema, value: unknown, prefix = '', max = 10): string[] {
  return formatSchemaErrors(Value.Errors(schema, value), prefix, max);
}
