// Request validation with TypeBox instead of Ajv: unknown keys are refused (not silently
// removed) and each message names the field, e.g. `body.variant: expected string`.

import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

function where(part: string, path: string): string {
  return [part, ...path.split('/').filter(Boolean)].join('.');
}

export function typeboxValidator({ schema, httpPart }: { schema: unknown; httpPart?: string }): (data: unknown) => { value?: unknown; error?: Error } {
  const check = TypeCompiler.Compile(schema as TSchema);
  const part = httpPart ?? 'body';
  return (data) => {
    if (check.Check(data)) return { value: data };
    if (data === null || data === undefined) return { error: new Error(`${part}: a JSON ${part} is required`) };
    const msgs: string[] = [];
    for (const e of check.Errors(data)) {
      const m = e.message === 'Unexpected property' ? 'unknown key' : e.message.toLowerCase();
      msgs.push(`${where(part, e.path)}: ${m}`);
      if (msgs.length >= 5) break;
    }
    return { error: new Error([...new Set(msgs)].join('; ')) };
  };
}
