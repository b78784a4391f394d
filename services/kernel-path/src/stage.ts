// The kernel-path stage definition for the registry (chain files, CLI, services).

import type { StageDefinition, StageEnv } from '@vnflab/core';
import { KernelPath } from './kernel-path';
import { VARIANTS } from './presets';
import { KernelPathSettingsSchema } from './settings';

/**
 * Ports with a socket when the chain file names none: the traffic generator's destination port
 * (the VIP the application serves), else 80.
 */
export function defaultSockets(env?: StageEnv): number[] {
  const chain = env?.chainConfig as { stages?: { stage?: string; settings?: Record<string, unknown> }[] } | undefined;
  const gen = chain?.stages?.find((s) => s.stage === 'traffic-gen');
  const dst = gen?.settings?.dst;
  const m = typeof dst === 'string' ? /:(\d+)$/.exec(dst) : null;
  const port = m ? Number(m[1]) : 80;
  return [port >= 1 && port <= 65535 ? port : 80];
}

export const kernelPathStage: StageDefinition = {
  stage: 'kernel-path',
  variants: VARIANTS,
  settings: KernelPathSettingsSchema,
  description: 'The guest receive path to the application: Linux (interrupts, sk_buffs, copies, protocol stack, syscalls) or kernel bypass (poll-mode driver, pool, zero copy); each mechanism is a toggle',
  // what the element does not bill itself is the runtime's bookkeeping and the timer readings:
  // the lab's own overhead, shown apart
  defaultCategory: 'bus',
  create: (variant, settings, env) => new KernelPath(variant, settings, defaultSockets(env)),
};
