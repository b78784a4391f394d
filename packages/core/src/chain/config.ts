// The chain file: one declarative YAML naming the stages in packet order, their variants and
// settings. Validated against the schema and each stage's own settings schema, with errors that
// point at the bad key (for example `stages[1].settings.ring_size: must be <= 4096`).

import { FileReadError, readRegularFile } from '../bounded-read';
import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { loadProfile } from '../cpu/cost-profile';
import { parseByteSize } from './byte-size';
import type { StageRegistry } from './registry';
import { schemaErrors } from './schema-errors';

export const StageEntrySchema = Type.Object(
  {
    stage: Type.String(),
    variant: Type.Optional(Type.String()),
    name: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]*$' })),
    replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
    settings: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

/** One variant the controller may swap a stage to: its image (default: the running container's) and extra environment. */
export const ControllerVariantSchema = Type.Object(
  {
    image: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: '^[a-z0-9][a-z0-9._/:@-]*$',
        description: 'image reference',
      }),
    ),
    env: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'environment added to the new container' }),
    ),
  },
  { additionalProperties: false },
);

/** The controller's allowlist: stage -> variant -> how to run it. Only these swaps are possible. */
export const ControllerSectionSchema = Type.Object(
  { variants: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), ControllerVariantSchema))) },
  { additionalProperties: false },
);

export const ChainSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]*$' }),
    description: Type.Optional(Type.String()),
    profile: Type.Optional(Type.String()),
    batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
    bus: Type.Optional(
      Type.Object(
        {
          bound: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, description: 'batches a hop holds' })),
          policy: Type.Optional(Type.Union([Type.Literal('block'), Type.Literal('drop')])),
        },
        { additionalProperties: false },
      ),
    ),
    memory_budget: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1 }), Type.String({ maxLength: 32 })], {
        description:
          'most memory the chain settings may imply (bytes, or 512MiB, 4GiB); default half the machine, at most 2 GiB; VNFLAB_MEMORY_BUDGET overrides it',
      }),
    ),
    stages: Type.Array(StageEntrySchema, { minItems: 2 }),
    loop: Type.Optional(
      Type.Boolean({
        description: 'closed loop: packets that survive the last stage travel back through every stage to the source',
      }),
    ),
    controller: Type.Optional(ControllerSectionSchema),
  },
  { additionalProperties: false },
);

export type ChainConfig = Static<typeof ChainSchema>;
export type StageEntry = Static<typeof StageEntrySchema>;

export interface ResolvedStage {
  stage: string;
  name: string;
  variant: string;
  replicas: number;
  settings: Record<string, unknown>;
}

export interface ResolvedChain {
  name: string;
  description: string;
  profile: string;
  batchSize: number;
  bus: { bound: number; policy: 'block' | 'drop' };
  stages: ResolvedStage[];
  /**
   * A closed loop (`loop: true`): what survives the last stage travels back through the middle
   * stages in reverse order to the source (docs/architecture.md, "Closed-loop chains").
   */
  loop?: boolean;
  /** `memory_budget` in bytes, when the chain file sets one (memory-budget.ts says what else can). */
  memoryBudget?: number;
  /** The controller's allowlist (`controller.variants`), when the chain file has one. */
  controller?: ResolvedController;
}

export interface ControllerVariant {
  image?: string;
  env: Record<string, string>;
}

export interface ResolvedController {
  /** stage -> variant -> how to run it */
  variants: Record<string, Record<string, ControllerVariant>>;
}

/** The controller sets these itself: the consumer group stays the stage's, the variant is the swap's. */
const CONTROLLER_OWNED_ENV = new Set(['VNFLAB_STAGE', 'VNFLAB_VARIANT']);

function resolveController(
  raw: NonNullable<ChainConfig['controller']>,
  registry: StageRegistry,
  stages: ResolvedStage[],
  where: string,
): ResolvedController {
  const variants: ResolvedController['variants'] = {};
  for (const [stage, vs] of Object.entries(raw.variants ?? {})) {
    const at = `${where}: controller.variants.${stage}`;
    const entry = stages.find((s) => s.name === stage);
    const type = entry?.stage ?? stage;
    if (!registry.has(type))
      throw new ConfigError(
        `${at}: unknown stage (known: ${registry
          .all()
          .map((d) => d.stage)
          .join(', ')})`,
      );
    const known = registry.get(type).variants;
    variants[stage] = {};
    for (const [variant, v] of Object.entries(vs)) {
      if (!known.includes(variant))
        throw new ConfigError(`${at}.${variant}: not a variant of ${type} (known: ${known.join(', ')})`);
      const env = v.env ?? {};
      for (const k of Object.keys(env)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
          throw new ConfigError(`${at}.${variant}.env.${k}: not an environment variable name`);
        if (CONTROLLER_OWNED_ENV.has(k))
          throw new ConfigError(
            `${at}.${variant}.env.${k}: set by the controller itself (the stage stays, the variant is the swap's)`,
          );
      }
      variants[stage][variant] = { image: v.image, env: { ...env } };
    }
  }
  return { variants };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function validateChain(raw: unknown, registry: StageRegistry, where = 'chain'): ResolvedChain {
  const errs = schemaErrors(ChainSchema, raw, '');
  if (errs.length) throw new ConfigError(`${where}: ${errs.join('; ')}`);
  const c = raw as ChainConfig;
  if (c.profile !== undefined) {
    try {
      loadProfile(c.profile);
    } catch (e) {
      throw new ConfigError(`${where}: profile: ${(e as Error).message}`);
    }
  }
  const stages: ResolvedStage[] = [];
  const names = new Set<string>();
  c.stages.forEach((s, i) => {
    if (!registry.has(s.stage)) {
      throw new ConfigError(
        `${where}: stages[${i}].stage: unknown stage "${s.stage}" (known: ${registry
          .all()
          .map((d) => d.stage)
          .join(', ')})`,
      );
    }
    const def = registry.get(s.stage);
    const variant = s.variant ?? def.variants[0];
    if (!def.variants.includes(variant)) {
      throw new ConfigError(
        `${where}: stages[${i}].variant: "${variant}" is not a variant of ${s.stage} (known: ${def.variants.join(', ')})`,
      );
    }
    const settings = s.settings ?? {};
    const se = schemaErrors(def.settings, settings, `stages[${i}].settings`);
    if (se.length) throw new ConfigError(`${where}: ${se.join('; ')}`);
    const name = s.name ?? s.stage;
    if (names.has(name))
      throw new ConfigError(`${where}: stages[${i}].name: "${name}" is used twice; give each stage a unique name`);
    names.add(name);
    stages.push({ stage: s.stage, name, variant, replicas: s.replicas ?? 1, settings });
  });
  const loop = c.loop ?? false;
  checkRoles(stages, registry, where, loop);
  // each return hop has one producer, whose end is the hop's end (runtime/src/service)
  const replicated = stages.findIndex((s) => s.replicas > 1);
  if (loop && replicated >= 0)
    throw new ConfigError(`${where}: stages[${replicated}].replicas: a loop chain runs one instance per stage`);
  const resolved: ResolvedChain = {
    name: c.name,
    description: c.description ?? '',
    profile: c.profile ?? 'linux-3.10-xeon',
    batchSize: c.batch_size ?? 64,
    bus: { bound: c.bus?.bound ?? 16, policy: c.bus?.policy ?? 'block' },
    stages,
  };
  if (loop) resolved.loop = true;
  if (c.memory_budget !== undefined) {
    const bytes = parseByteSize(c.memory_budget);
    if (bytes === null)
      throw new ConfigError(
        `${where}: memory_budget: ${JSON.stringify(c.memory_budget)} is not a size (give bytes, or e.g. 512MiB, 4GiB)`,
      );
    resolved.memoryBudget = bytes;
  }
  if (c.controller) resolved.controller = resolveController(c.controller, registry, stages, where);
  return resolved;
}

/**
 * A source first, a sink last, elements between: the chain checks roles, never stage names. In a
 * loop chain the last stage turns packets around, so it may be an element as well as a sink.
 */
function checkRoles(stages: ResolvedStage[], registry: StageRegistry, where: string, loop: boolean): void {
  const last = stages.length - 1;
  stages.forEach((s, i) => {
    const role = registry.get(s.stage).role;
    const want = i === 0 ? 'source' : i === last ? 'sink' : 'element';
    if (role === want || (loop && i === last && role === 'element')) return;
    if (loop && i === 0)
      throw new ConfigError(`${where}: loop: a loop chain starts with a source (stages[0] ${s.stage} is a ${role})`);
    const at = `${where}: stages[${i}].stage`;
    if (i === 0) throw new ConfigError(`${at}: the first stage must be a source (${s.stage} is a ${role})`);
    if (i === last)
      throw new ConfigError(
        `${at}: the last stage must be a sink${loop ? ' or an element' : ''} (${s.stage} is a ${role})`,
      );
    throw new ConfigError(
      `${at}: ${s.stage} is a ${role}; it may only be at the ${role === 'source' ? 'start' : 'end'}`,
    );
  });
}

/** A chain file is a page of YAML; anything this large is not one. */
const MAX_CHAIN_FILE_BYTES = 2 ** 20;

export function loadChainFile(path: string, registry: StageRegistry): ResolvedChain {
  let text: string;
  try {
    text = readRegularFile(path, MAX_CHAIN_FILE_BYTES).toString('utf8');
  } catch (e) {
    throw new ConfigError(`cannot read chain file ${path}: ${e instanceof FileReadError ? e.message : String(e)}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${path}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return validateChain(raw, registry, path);
}
