// The kernel-path stage manifest (chain files, CLI, services): its toggles are command-line
// flags, and it opens a socket on the port the chain's source sends to when the chain file
// names none.

import { RING_OCCUPANCY_METRIC, type StageDefinition } from '@vnflab/core';
import { EVENTS } from './events';
import { KernelPath } from './kernel-path';
import { PRESETS, VARIANTS } from './presets';
import { KernelPathSettingsSchema, settingsFromFlags } from './settings';

/** Ports with a socket when the chain file names none: the port the source sends to, else 80. */
export function defaultSockets(destinationPort: unknown): number[] {
  return [typeof destinationPort === 'number' ? destinationPort : 80];
}

const toggle = (name: 'irq' | 'alloc' | 'copies' | 'syscall' | 'stack', values: string) => ({
  name,
  values,
  kind: 'setting' as const,
  toSettings: (v: string) => settingsFromFlags({ [name]: v }) as Record<string, unknown>,
});

export const kernelPathStage: StageDefinition = {
  stage: 'kernel-path',
  role: 'element',
  variants: VARIANTS,
  presets: PRESETS,
  settings: KernelPathSettingsSchema,
  description:
    'The guest receive path to the application: Linux (interrupts, sk_buffs, copies, protocol stack, syscalls) or kernel bypass (poll-mode driver, pool, zero copy); each mechanism is a toggle',
  // what the element does not bill itself is the runtime's bookkeeping and the timer readings:
  // the lab's own overhead, shown apart
  defaultCategory: 'bus',
  flags: [
    { name: 'kernel-path', kind: 'variant', values: VARIANTS.join('|') },
    toggle('irq', 'per-packet|napi:N|poll'),
    toggle('alloc', 'per-packet|pool'),
    toggle('copies', 'both|ring-kernel|kernel-user|none'),
    toggle('syscall', 'per-packet|batch:N|none'),
    toggle('stack', 'full|l3|none'),
  ],
  events: EVENTS,
  reasons: ['no_socket', 'socket_queue_full'],
  metrics: [RING_OCCUPANCY_METRIC],
  needs: ['destination_port'],
  create: (variant, settings, env) => new KernelPath(variant, settings, defaultSockets(env.provided.destination_port)),
};
