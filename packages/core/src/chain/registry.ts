// The stage registry: which stages exist, their variants, their settings schema and how to make
// their element. Services register themselves; the chain config and the runners look here.

import type { TObject } from '@sinclair/typebox';
import type { Costs } from '../cpu/cost-profile';
import type { Element, Source } from '../element';
import type { ControlRoutes } from './control-routes';

export interface StageEnv {
  costs: Costs;
  chain: string;
  /** The whole validated chain, for stages that need their neighbours' settings. */
  chainConfig?: unknown;
}

export interface StageDefinition {
  stage: string;
  /** Variants, the first being the default. */
  variants: readonly string[];
  /** Settings schema (additionalProperties: false so unknown keys are errors). */
  settings: TObject;
  /** What the stage does, for `vnflab stages`. */
  description: string;
  /** CPU category for time the element does not bill itself. */
  defaultCategory: string;
  create(variant: string, settings: Record<string, unknown>, env: StageEnv): Element | Source;
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
}
