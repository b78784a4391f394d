// The variants are only names for toggle sets (services/kernel-path/README.md): `kernel` is the
// lecture's Linux receive path, `bypass` the DPDK/netmap one, and `linux` and `user-tcp` the two
// TCP endpoints of the web workload (mTCP's Figure 1: Linux 3.10 against mTCP). A setting given next to a variant overrides
// that one toggle, which is how the breakdown switches mechanisms off one at a time.

import {
  DEFAULT_RING_SIZE,
  DEFAULT_SOCKET_QUEUE,
  SettingsError,
  TCP_ENDPOINT_DEFAULTS,
  checkRingSize,
  checkSchema,
  parseCopies,
  parseIrq,
  parseSyscall,
  type KernelPathSettings,
  type Resolved,
  type Toggles,
} from './settings';

export const VARIANTS = ['kernel', 'bypass', 'linux', 'user-tcp'] as const;
export type Variant = (typeof VARIANTS)[number];

type ToggleSettings = Required<Pick<KernelPathSettings, 'irq' | 'alloc' | 'copies' | 'syscall' | 'stack'>>;

export const PRESETS: Record<Variant, ToggleSettings> = {
  // Linux 3.10: NAPI with the default weight of 64 (taking the NIC's moderated interrupts), an
  // sk_buff, two copies, the full stack and a recvmsg per packet
  kernel: { irq: 'napi:64', alloc: 'per-packet', copies: 'both', syscall: 'per-packet', stack: 'full' },
  // poll-mode driver in bursts of 32, mbuf pool, zero copy, no kernel stack, run to completion
  bypass: { irq: 'poll:32', alloc: 'pool', copies: 'none', syscall: 'none', stack: 'none' },
  // Linux 3.10 as a TCP server: the same receive path, then TCP, the socket layer and lighttpd's
  // system calls (epoll_wait, accept4, epoll_ctl, read, writev, close); sk_buffs for what TCP sends
  linux: { irq: 'napi:64', alloc: 'per-packet', copies: 'both', syscall: 'per-packet', stack: 'tcp' },
  // mTCP (NSDI 2014): poll-mode I/O in bursts, a pool, the same TCP state machine in user space
  // and its socket calls as library calls (no mode switch, no context switch). Copies: mTCP
  // processes a packet in the I/O engine's buffer (no frame copy out of the ring), but its TCP
  // puts the payload into the flow's receive buffer (RBPut) and mtcp_read / mtcp_write copy
  // between the stack's buffers and the application's (mtcp/src/api.c), so the kernel-user
  // copies stay and the ring-kernel one goes.
  'user-tcp': { irq: 'poll:32', alloc: 'pool', copies: 'kernel-user', syscall: 'none', stack: 'tcp' },
};

/** The toggle values the breakdown uses to switch each mechanism off: the bypass ones. */
export const OFF: ToggleSettings = PRESETS.bypass;

/** The variants that make kernel-path a TCP endpoint (stack tcp), for a loop chain. */
export const TCP_VARIANTS: readonly Variant[] = ['linux', 'user-tcp'];

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
  if (toggles.stack === 'tcp' && toggles.syscall.kind === 'batch')
    throw new SettingsError(
      `kernel-path settings.syscall: ${p.syscall} (recvmmsg) does not apply to stack tcp, whose calls are the web server's (epoll_wait, accept4, read, writev, close): give per-packet or none`,
    );
  const d = TCP_ENDPOINT_DEFAULTS;
  return {
    toggles,
    sockets,
    socketQueue: s.socket_queue ?? DEFAULT_SOCKET_QUEUE,
    ringSize: checkRingSize(s.ring_size ?? DEFAULT_RING_SIZE),
    tcp: {
      backlog: s.backlog ?? d.backlog,
      synBacklog: s.syn_backlog ?? d.synBacklog,
      maxConnections: s.max_connections ?? d.maxConnections,
      timeWaitMs: s.time_wait_ms ?? d.timeWaitMs,
      maxTwBuckets: s.max_tw_buckets ?? d.maxTwBuckets,
      delayedAck: s.delayed_ack ?? d.delayedAck,
    },
  };
}

function pickToggles(s: KernelPathSettings): Partial<ToggleSettings> {
  const out: Partial<ToggleSettings> = {};
  for (const k of TOGGLE_KEYS) if (s[k] !== undefined) (out as Record<string, string>)[k] = s[k] as string;
  return out;
}
