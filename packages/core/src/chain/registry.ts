// The stage manifest and the registry of stages. A stage describes itself here — its role in a
// chain, settings schema, variants, command-line flags, events, metrics, control routes and what it
// needs from its neighbours — so no other part of the lab lists stages by name (see
// docs/architecture.md, "Adding a stage"). The registry is filled by discovery (discover.ts).

import type { TObject } from '@sinclair/typebox';
import type { Costs } from '../cpu/cost-profile';
import type { Element, Source } from '../element';
import type { ControlRoutes } from './control-routes';
import type { MemoryBudget } from './memory-budget';

/**
 * Where a stage may sit: a `source` fills batches and is first, a `sink` terminates the chain and
 * is last, an `element` sits anywhere between.
 */
export type StageRole = 'source' | 'element' | 'sink';

export interface StageEnv {
  costs: Costs;
  chain: string;
  /**
   * Values this stage declared in `needs`, each computed by the nearest stage of the chain that
   * `provides` it (absent when no stage of the chain provides it).
   */
  provided: Readonly<Record<string, unknown>>;
  /** The chain's memory budget (memory-budget.ts), for settings a stage changes at run time. */
  memoryBudget?: MemoryBudget;
  /** The chain is a closed loop (`loop: true`): what this stage sends back reaches the source. */
  loop?: boolean;
}

/** A command-line flag a stage offers to `vnflab run` (and the commands built on it). */
export interface StageFlag {
  /** The flag without dashes, e.g. `nic` for `--nic`. */
  name: string;
  /** The values, for the usage line, e.g. `native|passthrough|virtio|emulated`. */
  values: string;
  /**
   * `variant`: the flag names the stage's variant (a shorthand for `--variant STAGE=V`).
   * `setting`: the flag sets settings; `toSettings` turns its value into them, throwing a
   * message that names the flag when the value is bad.
   */
  kind: 'variant' | 'setting';
  toSettings?(value: string): Record<string, unknown>;
}

/**
 * A large structure a stage allocates from its settings, for the memory budget checked before a
 * chain is built (memory-budget.ts). `key` is the setting that sizes it, relative to the stage's
 * settings (`table_size`), so a refusal can name it.
 */
export interface MemoryUse {
  key: string;
  bytes: number;
  /** How the bytes follow from the settings, e.g. `64 VIPs x 2 tables x 16777213 slots x 4 B`. */
  what: string;
}

/** A Prometheus metric an element adds through `Element.metrics()`, declared up front. */
export interface MetricDeclaration {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
}

export interface StageDefinition {
  stage: string;
  role: StageRole;
  /** Variants, the first being the default. */
  variants: readonly string[];
  /** Variants that answer their peer (a TCP endpoint): they run only in a closed-loop chain. */
  loopVariants?: readonly string[];
  /** Settings each variant stands for, where a variant is a preset of settings (for `vnflab stages`). */
  presets?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Settings schema (additionalProperties: false so unknown keys are errors). */
  settings: TObject;
  /** What the stage does, for `vnflab stages`. */
  description: string;
  /** CPU category for time the element does not bill itself. */
  defaultCategory: string;
  /** Command-line flags (`vnflab run --nic virtio`, `--irq napi:64`). */
  flags?: readonly StageFlag[];
  /** Event names the element counts (`StageStats.event`), registered with `eventCode`. */
  events?: readonly string[];
  /** Drop reasons of its own, registered with `reasonCode`. */
  reasons?: readonly string[];
  /** Metrics of its own, reported by `Element.metrics()`. */
  metrics?: readonly MetricDeclaration[];
  /** Values computed from this stage's settings that other stages may need. */
  provides?: Readonly<Record<string, (settings: Record<string, unknown>) => unknown>>;
  /** Values this stage takes from the stage of the chain that provides them (`StageEnv.provided`). */
  needs?: readonly string[];
  create(variant: string, settings: Record<string, unknown>, env: StageEnv): Element | Source;
  /**
   * The large structures `create` would allocate for these settings (tables, rings, guest
   * memory), estimated without allocating them; the chain refuses to start when they and its
   * batches exceed the memory budget. Settings have passed the schema, nothing more.
   */
  memoryBytes?(variant: string, settings: Record<string, unknown>): MemoryUse[];
  /** The stage's own control routes for this element, mounted by whatever server hosts it. */
  controlRoutes?(element: Element | Source): ControlRoutes;
}

export class StageRegistry {
  private readonly defs = new Map<string, StageDefinition>();

  register(def: StageDefinition): this {
    if (this.defs.has(def.stage)) throw new Error(`stage "${def.stage}" registered twice`);
    this.defs.set(def.stage, def);
    return this;
  }

  get(stage: string): StageDefinition {
    const d = this.defs.get(stage);
    if (!d) throw new Error(`unknown stage "${stage}" (known: ${[...this.defs.keys()].join(', ')})`);
    return d;
  }

  has(stage: string): boolean {
    return this.defs.has(stage);
  }

  all(): StageDefinition[] {
    return [...this.defs.values()];
  }

  /** Every flag the registered stages offer, with its stage; a flag two stages claim is an error. */
  flags(): { stage: StageDefinition; flag: StageFlag }[] {
    const out: { stage: StageDefinition; flag: StageFlag }[] = [];
    const seen = new Map<string, string>();
    for (const d of this.defs.values()) {
      for (const f of d.flags ?? []) {
        const other = seen.get(f.name);
        if (other) throw new Error(`flag --${f.name} is offered by both ${other} and ${d.stage}`);
        seen.set(f.name, d.stage);
        out.push({ stage: d, flag: f });
      }
    }
    return out;
  }
}

/**
 * The values a stage of `stages` needs, each from the nearest stage that provides it (upstream
 * first, then downstream).
 */
export function neighbourValues(
  registry: StageRegistry,
  stages: readonly { stage: string; settings: Record<string, unknown> }[],
  index: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const order = [...stages.keys()].sort((a, b) => Math.abs(a - index) - Math.abs(b - index) || a - b);
  for (const key of registry.get(stages[index].stage).needs ?? []) {
    for (const j of order) {
      if (j === index) continue;
      const give = registry.get(stages[j].stage).provides?.[key];
      if (give) {
        out[key] = give(stages[j].settings);
        break;
      }
    }
  }
  return out;
}
