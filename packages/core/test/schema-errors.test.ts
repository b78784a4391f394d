import { Type } from '@sinclair/typebox';
import { schemaErrors } from '@vnflab/core';

const Backend = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z]+$', errorMessage: 'is not a name: use a-z' }),
    port: Type.Optional(Type.Integer({ maximum: 65535 })),
  },
  { additionalProperties: false },
);
const Settings = Type.Object(
  { mode: Type.Optional(Type.Union([Type.Literal('nat'), Type.Literal('ipip')])), backends: Type.Array(Backend) },
  { additionalProperties: false },
);

test('one format: bracketed paths under the prefix, the known keys, one message per missing key', () => {
  expect(schemaErrors(Settings, { backends: [{ name: 'a', port: 70000, wieght: 1 }] }, 'stages[2].settings')).toEqual([
    'stages[2].settings.backends[0].wieght: unknown key (known: name, port)',
    'stages[2].settings.backends[0].port: expected integer to be less or equal to 65535',
  ]);
  // a missing key says so once, not also "expected string"
  expect(schemaErrors(Settings, { backends: [{}] })).toEqual(['backends[0].name: is required']);
  expect(schemaErrors(Settings, { backends: [{ name: 'Web 9' }] }, 'body')).toEqual([
    'body.backends[0].name: "Web 9" is not a name: use a-z',
  ]);
  expect(schemaErrors(Settings, 7, 'settings')).toEqual(['settings: expected object']);
  expect(schemaErrors(Settings, { backends: [] })).toEqual([]);
});

test('at most max messages', () => {
  const many = { backends: Array.from({ length: 20 }, () => ({ name: 'a', x: 1 })) };
  expect(schemaErrors(Settings, many, '', 5)).toHaveLength(5);
});
