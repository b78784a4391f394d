// lb settings: the TypeBox schema the chain file is checked against, the defaults, and the
// checks a schema cannot express (addresses, unique names, a prime table size), each error
// naming the key it is about.

import { Type, type Static } from '@sinclair/typebox';
import { ipFromString, schemaErrors } from '@vnflab/core';
import { MAX_TABLE_SIZE, MIN_TABLE_SIZE, assertPrimeTableSize } from './prime';

export const NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$';
/** NAME_PATTERN in words, for schema errors (see packages/core/src/chain/schema-errors.ts). */
const NAME_RULE = 'is not a valid name: use 1..63 of a-z 0-9 . _ - starting with a letter or digit';
export const MAX_WEIGHT = 1000;
export const DEFAULT_WEIGHT = 100;
export const MAX_BACKENDS_PER_VIP = 4096;
export const MAX_CONNTRACK = 1 << 22;

export const BackendSchema = Type.Object(
  {
    name: Type.String({
      pattern: NAME_PATTERN,
      errorMessage: NAME_RULE,
      description: 'unique in its VIP; the metrics label (never the address)',
    }),
    address: Type.String({ description: 'IPv4 address' }),
    port: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description: 'destination port after NAT (default: the VIP port); unused by ipip',
      }),
    ),
    weight: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_WEIGHT,
        description: `share of new flows relative to the others (default ${DEFAULT_WEIGHT}); 0 = drained`,
      }),
    ),
    down: Type.Optional(Type.Boolean({ description: 'start marked down (health failed)' })),
  },
  { additionalProperties: false },
);

export const ProtocolSchema = Type.Union([Type.Literal('udp'), Type.Literal('tcp')]);

export const VipSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        pattern: NAME_PATTERN,
        errorMessage: NAME_RULE,
        description: 'metrics label and control API path (default vip-<index>)',
      }),
    ),
    address: Type.String({ description: 'IPv4 address of the virtual IP' }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocols: Type.Optional(
      Type.Array(ProtocolSchema, { minItems: 1, maxItems: 2, uniqueItems: true, description: 'default [udp, tcp]' }),
    ),
    backends: Type.Array(BackendSchema, { maxItems: MAX_BACKENDS_PER_VIP }),
  },
  { additionalProperties: false },
);

export const LbSettingsSchema = Type.Object(
  {
    mode: Type.Optional(
      Type.Union([Type.Literal('nat'), Type.Literal('ipip')], {
        description:
          'nat: rewrite destination address and port; ipip: encapsulate to the backend (direct server return)',
      }),
    ),
    table_size: Type.Optional(
      Type.Integer({
        minimum: MIN_TABLE_SIZE,
        maximum: MAX_TABLE_SIZE,
        description: 'Maglev table size M, a prime; keep M > 100 x backends for 1 % balance',
      }),
    ),
    conntrack_size: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_CONNTRACK,
        description: 'tracked flows at most (LRU beyond); 0 turns connection tracking off',
      }),
    ),
    idle_timeout: Type.Optional(
      Type.Number({ minimum: 0, description: 'seconds a flow may idle before it is forgotten; 0 = never' }),
    ),
    vips: Type.Optional(Type.Array(VipSchema, { minItems: 1, maxItems: 64 })),
  },
  { additionalProperties: false },
);

export type LbSettings = Static<typeof LbSettingsSchema>;
export type VipSettings = Static<typeof VipSchema>;
export type BackendSettings = Static<typeof BackendSchema>;
export type Protocol = Static<typeof ProtocolSchema>;
export type ForwardingMode = 'nat' | 'ipip';

export const DEFAULT_VIPS: VipSettings[] = [
  {
    name: 'web',
    address: '10.0.0.100',
    port: 80,
    protocols: ['udp', 'tcp'],
    backends: [
      { name: 'web-1', address: '10.0.1.1', port: 8080, weight: DEFAULT_WEIGHT },
      { name: 'web-2', address: '10.0.1.2', port: 8080, weight: DEFAULT_WEIGHT },
      { name: 'web-3', address: '10.0.1.3', port: 8080, weight: DEFAULT_WEIGHT },
    ],
  },
];

export const LB_DEFAULTS = {
  mode: 'nat' as ForwardingMode,
  table_size: 65537,
  conntrack_size: 65536,
  idle_timeout: 60,
};

export interface ResolvedBackend {
  name: string;
  address: number;
  port: number;
  weight: number;
  down: boolean;
}

export interface ResolvedVip {
  name: string;
  address: number;
  port: number;
  protocols: Protocol[];
  backends: ResolvedBackend[];
}

export interface ResolvedSettings {
  mode: ForwardingMode;
  tableSize: number;
  conntrackSize: number;
  idleTimeoutS: number;
  vips: ResolvedVip[];
}

export class LbSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LbSettingsError';
  }
}

// lb.ts checks run-time settings with the same formatter
export { schemaErrors };

function address(s: string, key: string): number {
  try {
    return ipFromString(s);
  } catch {
    throw new LbSettingsError(`${key}: "${s}" is not an IPv4 address`);
  }
}

/** Checks one backend's fields; used by settings and by the add operation. */
export function resolveBackend(b: BackendSettings, vipPort: number, key: string): ResolvedBackend {
  const errs = schemaErrors(BackendSchema, b, key);
  if (errs.length) throw new LbSettingsError(errs.join('; '));
  return {
    name: b.name,
    address: address(b.address, key ? `${key}.address` : 'address'),
    port: b.port ?? vipPort,
    weight: b.weight ?? DEFAULT_WEIGHT,
    down: b.down ?? false,
  };
}

/** Validates settings (schema, then what a schema cannot say) and fills in the defaults. */
export function resolveSettings(raw: unknown): ResolvedSettings {
  const errs = schemaErrors(LbSettingsSchema, raw ?? {});
  if (errs.length) throw new LbSettingsError(`lb settings: ${errs.join('; ')}`);
  const s = (raw ?? {}) as LbSettings;
  const tableSize = s.table_size ?? LB_DEFAULTS.table_size;
  try {
    assertPrimeTableSize(tableSize);
  } catch (e) {
    throw new LbSettingsError(`lb settings: ${(e as Error).message}`);
  }
  const vips: ResolvedVip[] = [];
  const seenVip = new Map<string, string>();
  (s.vips ?? DEFAULT_VIPS).forEach((v, i) => {
    const key = `vips[${i}]`;
    const name = v.name ?? `vip-${i}`;
    if (vips.some((o) => o.name === name))
      throw new LbSettingsError(`lb settings: ${key}.name: "${name}" is used by another VIP`);
    const addr = address(v.address, `lb settings: ${key}.address`);
    const protocols = v.protocols ?? ['udp', 'tcp'];
    for (const p of protocols) {
      const id = `${v.address}:${v.port}/${p}`;
      const other = seenVip.get(id);
      if (other) throw new LbSettingsError(`lb settings: ${key}: ${id} is already served by VIP "${other}"`);
      seenVip.set(id, name);
    }
    const backends: ResolvedBackend[] = [];
    v.backends.forEach((b, j) => {
      const bkey = `${key}.backends[${j}]`;
      if (backends.some((o) => o.name === b.name))
        throw new LbSettingsError(`lb settings: ${bkey}.name: "${b.name}" is used twice in VIP "${name}"`);
      try {
        backends.push(resolveBackend(b, v.port, bkey));
      } catch (e) {
        throw new LbSettingsError(`lb settings: ${(e as Error).message}`);
      }
    });
    vips.push({ name, address: addr, port: v.port, protocols, backends });
  });
  return {
    mode: s.mode ?? LB_DEFAULTS.mode,
    tableSize,
    conntrackSize: s.conntrack_size ?? LB_DEFAULTS.conntrack_size,
    idleTimeoutS: s.idle_timeout ?? LB_DEFAULTS.idle_timeout,
    vips,
  };
}
