// kernel-path settings: the schema chain files and the CLI are checked against, and the parsing
// of each toggle into the typed form the element uses. Every error names the key it is about.

import { Type, type Static } from '@sinclair/typebox';
import { schemaErrors } from '@vnflab/core';

export const KernelPathSettingsSchema = Type.Object(
  {
    irq: Type.Optional(
      Type.String({
        pattern: '^(per-packet|poll|poll:[0-9]+|napi:[0-9]+)$',
        description:
          'receive notification: napi:<budget> (the interrupts the nic raised, each followed by polls of up to budget; one per batch without a nic), per-packet (one interrupt per packet), poll or poll:<burst> (busy poll, default burst 32)',
      }),
    ),
    alloc: Type.Optional(
      Type.Union([Type.Literal('per-packet'), Type.Literal('pool')], {
        description: 'packet buffers: per-packet (fresh sk_buff and data) or pool (pre-allocated, recycled)',
      }),
    ),
    copies: Type.Optional(
      Type.Union(
        [Type.Literal('both'), Type.Literal('ring-kernel'), Type.Literal('kernel-user'), Type.Literal('none')],
        {
          description: 'which copies happen: ring -> kernel buffer, kernel -> user buffer, both or none (zero copy)',
        },
      ),
    ),
    syscall: Type.Optional(
      Type.String({
        pattern: '^(per-packet|none|batch:[0-9]+)$',
        description: 'per-packet (recvmsg), batch:<n> (recvmmsg of up to n), none (run to completion)',
      }),
    ),
    stack: Type.Optional(
      Type.Union([Type.Literal('full'), Type.Literal('l3'), Type.Literal('none'), Type.Literal('tcp')], {
        description:
          'protocol processing: full (Ethernet, IPv4, UDP/TCP checksums, sockets), l3 (Ethernet and IPv4), none, or tcp (a TCP endpoint: @vnflab/tcp under the socket layer, the application a web server in a loop chain)',
      }),
    ),
    sockets: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), {
        minItems: 1,
        maxItems: 1024,
        description:
          'destination ports with an open socket; with stack tcp the listening ports (default: the destination port the source provides, else 80)',
      }),
    ),
    backlog: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description: 'stack tcp: accept queue of each listening socket (listen() backlog; somaxconn 128 in Linux 3.10)',
      }),
    ),
    syn_backlog: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description:
          'stack tcp: tcp_max_syn_backlog (1024); the SYN queue is roundup_pow_of_two(max(min(backlog, syn_backlog), 8) + 1)',
      }),
    ),
    max_connections: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65536,
        description:
          'stack tcp: connections open at once, each a socket, an fd and a receive buffer (RLIMIT_NOFILE 1024 by default)',
      }),
    ),
    time_wait_ms: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3600000,
        description: 'stack tcp: TIME_WAIT length, 2 MSL (TCP_TIMEWAIT_LEN 60000)',
      }),
    ),
    max_tw_buckets: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1048576,
        description:
          'stack tcp: connections kept in TIME_WAIT at most (tcp_max_tw_buckets 16384); beyond, counted and freed',
      }),
    ),
    delayed_ack: Type.Optional(
      Type.Boolean({
        description: 'stack tcp: delayed ACKs (40 ms, or every second full segment); false ACKs every segment at once',
      }),
    ),
    socket_queue: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65536,
        description: 'packets each socket receive queue holds before it drops',
      }),
    ),
    ring_size: Type.Optional(
      Type.Integer({ minimum: 8, maximum: 4096, description: 'RX descriptors (a power of two)' }),
    ),
  },
  { additionalProperties: false },
);
export type KernelPathSettings = Static<typeof KernelPathSettingsSchema>;

export type IrqMode = { kind: 'per-packet' } | { kind: 'napi'; budget: number } | { kind: 'poll'; burst: number };
export type AllocMode = 'per-packet' | 'pool';
export type SyscallMode = { kind: 'per-packet' } | { kind: 'batch'; n: number } | { kind: 'none' };
export type StackMode = 'full' | 'l3' | 'none' | 'tcp';
export interface CopyMode {
  ringToKernel: boolean;
  kernelToUser: boolean;
}

/** The five mechanisms, each its own toggle (services/kernel-path/README.md). */
export interface Toggles {
  irq: IrqMode;
  alloc: AllocMode;
  copies: CopyMode;
  syscall: SyscallMode;
  stack: StackMode;
}

/** The TCP endpoint's sizes and timers (stack tcp). */
export interface TcpEndpointSettings {
  backlog: number;
  synBacklog: number;
  maxConnections: number;
  timeWaitMs: number;
  maxTwBuckets: number;
  delayedAck: boolean;
}

export interface Resolved {
  toggles: Toggles;
  sockets: number[];
  socketQueue: number;
  ringSize: number;
  tcp: TcpEndpointSettings;
}

/** Linux 3.10's values (include/net/tcp.h, SOMAXCONN, RLIMIT_NOFILE's default soft limit). */
export const TCP_ENDPOINT_DEFAULTS: TcpEndpointSettings = {
  backlog: 128,
  synBacklog: 1024,
  maxConnections: 1024,
  timeWaitMs: 60_000,
  maxTwBuckets: 16384,
  delayedAck: true,
};

export const DEFAULT_POLL_BURST = 32;
export const DEFAULT_SOCKET_QUEUE = 256;
export const DEFAULT_RING_SIZE = 512;
export const MAX_BURST = 1024;

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

function fail(key: string, msg: string): never {
  throw new SettingsError(`kernel-path settings.${key}: ${msg}`);
}

function count(key: string, text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BURST) fail(key, `${what} ${text} must be an integer 1..${MAX_BURST}`);
  return n;
}

export function parseIrq(v: string, key = 'irq'): IrqMode {
  if (v === 'per-packet') return { kind: 'per-packet' };
  if (v === 'poll') return { kind: 'poll', burst: DEFAULT_POLL_BURST };
  const m = /^(poll|napi):(.*)$/.exec(v);
  if (!m) fail(key, `"${v}" is not per-packet, napi:<budget>, poll or poll:<burst>`);
  return m[1] === 'poll'
    ? { kind: 'poll', burst: count(key, m[2], 'burst') }
    : { kind: 'napi', budget: count(key, m[2], 'budget') };
}

export function parseSyscall(v: string, key = 'syscall'): SyscallMode {
  if (v === 'per-packet') return { kind: 'per-packet' };
  if (v === 'none') return { kind: 'none' };
  const m = /^batch:(.*)$/.exec(v);
  if (!m) fail(key, `"${v}" is not per-packet, batch:<n> or none`);
  return { kind: 'batch', n: count(key, m[1], 'batch') };
}

export function parseCopies(v: string, key = 'copies'): CopyMode {
  switch (v) {
    case 'both':
      return { ringToKernel: true, kernelToUser: true };
    case 'ring-kernel':
      return { ringToKernel: true, kernelToUser: false };
    case 'kernel-user':
      return { ringToKernel: false, kernelToUser: true };
    case 'none':
      return { ringToKernel: false, kernelToUser: false };
    default:
      fail(key, `"${v}" is not both, ring-kernel, kernel-user or none`);
  }
}

/** The settings-file spelling of each toggle (for describe(), reports and the CLI). */
export function formatToggles(t: Toggles): Record<keyof Toggles, string> {
  const irq =
    t.irq.kind === 'per-packet' ? 'per-packet' : t.irq.kind === 'napi' ? `napi:${t.irq.budget}` : `poll:${t.irq.burst}`;
  const copies = t.copies.ringToKernel
    ? t.copies.kernelToUser
      ? 'both'
      : 'ring-kernel'
    : t.copies.kernelToUser
      ? 'kernel-user'
      : 'none';
  const syscall = t.syscall.kind === 'batch' ? `batch:${t.syscall.n}` : t.syscall.kind;
  return { irq, alloc: t.alloc, copies, syscall, stack: t.stack };
}

/** Checks raw settings against the schema; throws naming the first bad keys. */
export function checkSchema(raw: unknown): KernelPathSettings {
  if (raw === undefined) return {};
  const errs = schemaErrors(KernelPathSettingsSchema, raw, 'kernel-path settings', 5);
  if (errs.length) throw new SettingsError(errs.join('; '));
  return raw as KernelPathSettings;
}

export function checkRingSize(n: number, key = 'ring_size'): number {
  if (!Number.isInteger(n) || n < 8 || n > 4096 || (n & (n - 1)) !== 0)
    fail(key, `${n} must be a power of two between 8 and 4096`);
  return n;
}

/** The command-line flags for the toggles: `--irq napi:64 --copies none ...`. */
export const TOGGLE_FLAGS = ['irq', 'alloc', 'copies', 'syscall', 'stack'] as const;

/**
 * Settings from command-line flags (absent flags are left out), checked as the chain file is;
 * an error names the flag, e.g. `--irq: "napi:0": budget 0 must be an integer 1..1024`.
 */
export function settingsFromFlags(flags: Partial<Record<(typeof TOGGLE_FLAGS)[number], string>>): KernelPathSettings {
  const out: Record<string, string> = {};
  for (const k of TOGGLE_FLAGS) {
    const v = flags[k];
    if (v === undefined) continue;
    try {
      if (k === 'irq') parseIrq(v);
      else if (k === 'syscall') parseSyscall(v);
      else if (k === 'copies') parseCopies(v);
      else checkSchema({ [k]: v });
    } catch (e) {
      throw new SettingsError(
        `--${k}: "${v}": ${(e as Error).message.replace(/^kernel-path settings\.[a-z_]+: /, '')}`,
      );
    }
    out[k] = v;
  }
  return out as KernelPathSettings;
}
