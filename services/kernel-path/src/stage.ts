// The kernel-path stage manifest (chain files, CLI, services): its toggles are command-line
// flags, and it opens a socket on the port the chain's source sends to when the chain file
// names none.

import { RING_OCCUPANCY_METRIC, type StageDefinition } from '@vnflab/core';
import { EVENTS } from './events';
import { KernelPath } from './kernel-path';
import { TcpReason } from '@vnflab/tcp';
import { RECORD_REASONS } from './app-thread';
import { PRESETS, TCP_VARIANTS, VARIANTS, resolve } from './presets';
import { KernelPathSettingsSchema, settingsFromFlags } from './settings';
import { SOCKET_RCVBUF_BYTES, SOCKET_SNDBUF_BYTES, tcpSizes } from './tcp-server';

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
    'The guest receive path to the application: Linux (interrupts, sk_buffs, copies, protocol stack, syscalls) or kernel bypass (poll-mode driver, pool, zero copy); each mechanism is a toggle. linux and user-tcp make it a TCP endpoint (Linux 3.10, mTCP) under a web server in a loop chain',
  // what the element does not bill itself is the runtime's bookkeeping and the timer readings:
  // the lab's own overhead, shown apart
  defaultCategory: 'bus',
  flags: [
    { name: 'kernel-path', kind: 'variant', values: VARIANTS.join('|') },
    toggle('irq', 'per-packet|napi:N|poll'),
    toggle('alloc', 'per-packet|pool'),
    toggle('copies', 'both|ring-kernel|kernel-user|none'),
    toggle('syscall', 'per-packet|batch:N|none'),
    toggle('stack', 'full|l3|none|tcp'),
  ],
  events: EVENTS,
  // stack tcp: TCP's drop reasons (segments) and the application's records refused on the way back
  reasons: ['no_socket', 'socket_queue_full', ...Object.keys(TcpReason), ...RECORD_REASONS],
  metrics: [RING_OCCUPANCY_METRIC],
  needs: ['destination_port'],
  loopVariants: TCP_VARIANTS,
  create: (variant, settings, env) => {
    const kp = new KernelPath(variant, settings, defaultSockets(env.provided.destination_port));
    // a TCP endpoint answers its peer: its SYN-ACKs and responses need a way back to the source
    if (kp.toggles.stack === 'tcp' && !env.loop)
      throw new Error(
        `kernel-path: stack tcp (variant ${variant}) answers its peer, so it runs only in a closed-loop chain (loop: true, as chains/web.yaml)`,
      );
    return kp;
  },
  memoryBytes: (variant, settings) => tcpMemory(variant, settings),
};

/**
 * Bytes per TCP control block with its table index, timers and RTO state: heap and external
 * growth of a 65536-connection TcpEndpoint, measured with node --expose-gc on Node 24 (715 B).
 */
export const TCB_BYTES = 720;
/** Bytes per fd of the fd table, the epoll's item and ready-list slot. */
const FD_BYTES = 80;

/** stack tcp's large structures: the connection table, the sockets' buffers, the TCP segment pool. */
function tcpMemory(variant: string, settings: Record<string, unknown>) {
  let r;
  try {
    r = resolve(variant, settings);
  } catch {
    return []; // the settings check reports it, naming the key
  }
  if (r.toggles.stack !== 'tcp') return [];
  const z = tcpSizes(r.tcp, r.sockets.length);
  const mss = 1460;
  const poolSegments = 8192; // @vnflab/tcp's poolSegments default
  return [
    {
      key: 'max_connections, max_tw_buckets, backlog',
      bytes: z.tcbs * TCB_BYTES + z.maxFds * FD_BYTES,
      what: `${z.tcbs} TCP control blocks (${r.tcp.maxConnections} open, ${r.tcp.maxTwBuckets} TIME_WAIT, the listeners' queues) and ${z.maxFds} fds`,
    },
    {
      key: 'max_connections',
      bytes: z.maxSockets * SOCKET_RCVBUF_BYTES + SOCKET_SNDBUF_BYTES,
      what: `${z.maxSockets} sockets x ${SOCKET_RCVBUF_BYTES} B receive buffer`,
    },
    {
      key: 'stack',
      bytes: poolSegments * mss,
      what: `TCP send and out-of-order pool: ${poolSegments} segments x ${mss} B`,
    },
  ];
}
