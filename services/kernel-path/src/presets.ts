// The two variants are only names for toggle sets (services/kernel-path/README.md): `kernel` is the lecture's
// Linux receive path, `bypass` the DPDK/netmap one. A setting given next to a variant overrides
// that one toggle, which is how the breakdown switches mechanisms off one at a time.

import {
  DEFAULT_RING_SIZE,
  DEFAULT_SOCKET_QUEUE,
  checkRingSize,
  checkSchema,
  parseCopies,
  parseIrq,
  parseSyscall,
  type KernelPathSettings,
  type Resolved,
  type Toggles,
} from './settings';

export const VARIANTS = ['kernel', 'bypass'] as const;
export type Variant = (typeof VARIANTS)[number];

type ToggleSettings = Required<Pick<KernelPathSettings, 'irq' | 'alloc' | 'copies' | 'syscall' | 'stack'>>;

export const PRESETS: Record<Variant, ToggleSettings> = {
  // Linux 3.10: NAPI with the default weight of 64 (taking the NIC's moderated interrupts), an
  // sk_buff, two copies, the full stack and a recvmsg per packet
  kernel: { irq: 'napi:64', alloc: 'per-packet', copies: 'both', syscall: 'per-packet', stack: 'full' },
  // poll-mode driver in bursts of 32, mbuf pool, zero copy, no kernel stack, run to completion
  bypass: { irq: 'poll:32', alloc: 'pool', copies: 'none', syscall: 'none', stack: 'none' },
};

/** The toggle values the breakdown uses to switch each mechanism off: the bypass ones. */
export const OFF: ToggleSettings = PRESETS.bypass;

export const TOGGLE_KEYS = ['irq', 'alloc', 'copies', 'syscall', 'stack'] as const;
export type ToggleKey = (typeof TOGGLE_KEYS)[number];

export function isVariant(v: string): v is Variant {
  return (VARIANTS as readonly string[]).includes(v);
}

/** Resolves a variant and its settings into toggles and sizes; throws naming the bad key. */
export function resolve(variant: string, raw: unknown, defaultSockets: number[] = [80]): Resolved {
  if (!isVariant(variant))
    throw new Error(`kernel-path variant "${variant}" is unknown (known: ${VARIANTS.join(', ')})`);
  const s = checkSchema(raw);
  const p = { ...PRESETS[variant], ...pickToggles(s) };
  const toggles: Toggles = {
    irq: parseIrq(p.irq),
    alloc: p.alloc,
    copies: parseCopies(p.copies),
    syscall: parseSyscall(p.syscall),
    stack: p.stack,
  };
  const sockets = s.sockets ?? defaultSockets;
  if (new Set(sockets).size !== sockets.length) throw new Error('kernel-path settings.sockets: a port is listed twice');
  return {
    toggles,
    sockets,
    socketQueue: s.socket_queue ?? DEFAULT_SOCKET_QUEUE,
    ringSize: checkRingSize(s.ring_size ?? DEFAULT_RING_SIZE),
  };
}

function pickToggles(s: KernelPathSettings): Partial<ToggleSettings> {
  const out: Partial<ToggleSettings> = {};
  for (const k of TOGGLE_KEYS) if (s[k] !== undefined) (out as Record<string, string>)[k] = s[k] as string;
  return out;
}
