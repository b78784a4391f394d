// The variants the controller may swap to, from the chain file's `controller.variants`. A swap
// to anything not listed is refused before Docker is touched.

import type { ControllerVariant, ResolvedChain } from '@vnflab/core';
import { ControllerError } from './errors';

export class Allowlist {
  private readonly variants: Record<string, Record<string, ControllerVariant>>;

  constructor(
    chain: Pick<ResolvedChain, 'controller'>,
    private readonly source = 'the chain file',
  ) {
    this.variants = chain.controller?.variants ?? {};
  }

  stages(): string[] {
    return Object.keys(this.variants);
  }

  variantsOf(stage: string): string[] {
    return Object.keys(this.variants[stage] ?? {});
  }

  /** How to run `variant` of `stage`; a 403 that names what is allowed otherwise. */
  resolve(stage: string, variant: string): ControllerVariant {
    const vs = this.variants[stage];
    if (!vs) {
      const known = this.stages();
      throw new ControllerError(
        403,
        'not_allowed',
        known.length
          ? `stage "${stage}" is not on the controller's allowlist (${this.source} controller.variants has: ${known.join(', ')})`
          : `no swaps are allowed: ${this.source} has no controller.variants section`,
      );
    }
    const v = vs[variant];
    if (!v)
      throw new ControllerError(
        403,
        'not_allowed',
        `variant "${variant}" of ${stage} is not on the controller's allowlist (${this.source} controller.variants.${stage}: ${Object.keys(vs).join(', ')})`,
      );
    return v;
  }
}
