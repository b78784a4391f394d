// One swap at a time: a second request while one runs is refused (409) rather than queued, so
// the caller learns at once that the chain is changing under it.

import { ControllerError } from './errors';

export interface SwapInProgress {
  stage: string;
  variant: string;
  started_at: string;
}

export class SwapLock {
  private current: SwapInProgress | null = null;

  get held(): SwapInProgress | null {
    return this.current;
  }

  acquire(stage: string, variant: string): void {
    const c = this.current;
    if (c)
      throw new ControllerError(
        409,
        'swap_in_progress',
        `a swap of ${c.stage} to ${c.variant} is in progress (since ${c.started_at}); try again when it has finished`,
      );
    this.current = { stage, variant, started_at: new Date().toISOString() };
  }

  release(): void {
    this.current = null;
  }
}
