// The overhead breakdown (`vnflab breakdown`): runs the embedded chain with kernel-path in
// `kernel` mode, then with each mechanism switched off in turn (set to its bypass value), then
// a couple of Linux's own mitigations (NAPI, recvmmsg), then in `bypass` mode. For every row it
// reports packets/s, CPU ns per packet and the CPU share per mTCP Figure 1 group, and the report
// puts the published figures beside ours, saying where and why they differ.

import { cpus, platform, release } from 'node:os';
import {
  CATEGORIES,
  GROUPS,
  loadProfile,
  validateChain,
  type Category,
  type Group,
  type StageEntry,
  type StageRegistry,
} from '@vnflab/core';
import { EmbeddedChain, summarize, type ChainStage, type RunSummary } from '@vnflab/runtime';
import { GcMeter } from './gc-meter';
import { OFF, TOGGLE_KEYS, type ToggleKey, type Variant } from '@vnflab/kernel-path';
import { MTCP_GROUPS, PUBLISHED, type MtcpGroup } from './published';

export interface RowSpec {
  name: string;
  label: string;
  variant: Variant;
  /** Toggle overrides on top of the variant's preset. */
  settings: Partial<Record<ToggleKey, string>>;
  kind: 'preset' | 'ablation' | 'mitigation';
}

const WHAT: Record<ToggleKey, string> = {
  irq: 'interrupts',
  alloc: 'per-packet allocation',
  copies: 'copies',
  syscall: 'system calls',
  stack: 'protocol stack',
};

export const KERNEL_ROW: RowSpec = {
  name: 'kernel',
  label: 'Linux receive path, every mechanism on',
  variant: 'kernel',
  settings: {},
  kind: 'preset',
};
export const BYPASS_ROW: RowSpec = {
  name: 'bypass',
  label: 'kernel bypass (poll, pool, zero copy, no stack)',
  variant: 'bypass',
  settings: {},
  kind: 'preset',
};
export const ABLATION_ROWS: RowSpec[] = TOGGLE_KEYS.map((k) => ({
  name: `-${k}`,
  label: `kernel without ${WHAT[k]} (${k}: ${OFF[k]})`,
  variant: 'kernel' as const,
  settings: { [k]: OFF[k] },
  kind: 'ablation' as const,
}));
export const MITIGATION_ROWS: RowSpec[] = [
  {
    name: 'napi',
    label: 'kernel with NAPI (irq: napi:64)',
    variant: 'kernel',
    settings: { irq: 'napi:64' },
    kind: 'mitigation',
  },
  {
    name: 'recvmmsg',
    label: 'kernel with recvmmsg (syscall: batch:32)',
    variant: 'kernel',
    settings: { syscall: 'batch:32' },
    kind: 'mitigation',
  },
];

export function defaultRows(mitigations = true): RowSpec[] {
  return [KERNEL_ROW, ...ABLATION_ROWS, ...(mitigations ? MITIGATION_ROWS : []), BYPASS_ROW];
}

export interface BreakdownOptions {
  /** Knows traffic-gen, backends, kernel-path and every middle stage. */
  registry: StageRegistry;
  /** Wire frame size in bytes incl. FCS (64..1518) or imix; default 64. */
  size?: number | 'imix';
  /** Seconds of traffic per row; default 1. */
  durationS?: number;
  /** Cost profile; default linux-3.10-xeon. */
  profile?: string;
  /**
   * The chain's stages between traffic-gen and backends, with exactly one kernel-path entry;
   * each row replaces that entry's variant and toggles (its sockets, queue and ring stay).
   * Default: kernel-path alone.
   */
  middle?: StageEntry[];
  /** Extra traffic-gen settings (flows, proto, dst, ...). */
  traffic?: Record<string, unknown>;
  batchSize?: number;
  rows?: RowSpec[];
  /** Include the NAPI and recvmmsg rows (default true). */
  mitigations?: boolean;
  /** Seconds of an unreported warm-up run of the kernel and bypass rows (JIT); default min(0.3, durationS). */
  warmupS?: number;
  /** Called after each row, for progress output. */
  onRow?: (row: BreakdownRow) => void;
}

export type MtcpShares = Record<MtcpGroup, number>;

export interface BreakdownRow {
  name: string;
  label: string;
  kind: RowSpec['kind'];
  variant: string;
  toggles: Record<string, string>;
  sent: number;
  received: number;
  drops_total: number;
  drops: Record<string, Record<string, number>>;
  accounting_closed: boolean;
  duration_s: number;
  /** Packets the application received per second of wall time, whole chain on one thread. */
  throughput_pps: number;
  kernel_path: {
    packets_in: number;
    /** Measured CPU per packet, lab transport excluded. */
    ns_per_packet: number;
    /** Packets/s one core would receive doing only this path: 1e9 / ns_per_packet. */
    capacity_pps: number;
    ns_per_packet_by_category: Record<string, number>;
    /** The lab's transport into the ring, per packet (not in ns_per_packet). */
    transport_ns_per_packet: number;
    events_per_packet: Record<string, number>;
  };
  /** The system under test: every middle stage (and the sink when it is the only application). */
  system: {
    stages: string[];
    application: string[];
    ns_per_packet: number;
    /** Share of the measured CPU per group, lab transport included; sums to 1. */
    share_of_measured: Record<Group, number>;
    /** mTCP's four groups with the lab transport and the host threads left out (the guest's CPU); sums to 1. */
    cpu_share: MtcpShares;
    kernel_share: number;
    measured_cpu_s: number;
  };
  /** The nic stage's CPU per packet it took in: the guest's, and KVM's host threads' (category host); null without a nic. */
  nic: { guest_ns_per_packet: number; host_ns_per_packet: number } | null;
  /** GC pauses in the whole process during the row, per packet received (inside the categories). */
  gc: { ns_per_packet: number; collections: number };
  /** For ablation and mitigation rows: kernel-path CPU per packet saved against the kernel row. */
  saves_ns_per_packet: number | null;
}

export interface BreakdownReport {
  profile: { name: string; costs_ns: Record<string, number> };
  size: number | 'imix';
  duration_s_per_row: number;
  chain: string[];
  machine: { cpus: number; cpu_model: string; node: string; os: string };
  rows: BreakdownRow[];
  comparison: {
    mtcp: {
      source: string;
      published: MtcpShares & { kernel: number };
      ours_kernel_mode: (MtcpShares & { kernel: number }) | null;
      ours_bypass_mode: (MtcpShares & { kernel: number }) | null;
    };
    netmap: {
      source: string;
      budget_ns: number;
      published_multiple: readonly [number, number];
      ours_kernel_ns_per_packet: number | null;
      ours_multiple: number | null;
      ours_bypass_multiple: number | null;
    };
    xdp: {
      source: string;
      dpdk_mpps: number;
      linux_mpps: number;
      published_ratio: number;
      ours_kernel_capacity_mpps: number | null;
      ours_bypass_capacity_mpps: number | null;
    };
    /** Bypass over kernel: receive-path capacity per core, and whole-chain packets/s. */
    bypass_over_kernel: { capacity: number | null; throughput: number | null; published_xdp: number };
  };
  notes: string[];
}

function isStage(s: ChainStage, stage: string): boolean {
  return s.stage === stage;
}

function chainFor(
  o: BreakdownOptions,
  row: RowSpec,
  size: number | 'imix',
  durationS: number,
  profile: string,
): unknown {
  const middle = o.middle ?? [{ stage: 'kernel-path' }];
  const kp = middle.filter((s) => s.stage === 'kernel-path').length;
  if (kp !== 1) throw new Error(`breakdown: the middle stages must hold exactly one kernel-path (found ${kp})`);
  return {
    name: 'breakdown',
    profile,
    batch_size: o.batchSize ?? 64,
    bus: { bound: 16, policy: 'block' },
    stages: [
      { stage: 'traffic-gen', settings: { ...(o.traffic ?? {}), size, rate: 0, duration: durationS } },
      ...middle.map((s) => {
        if (s.stage !== 'kernel-path') return s;
        const settings: Record<string, unknown> = { ...(s.settings ?? {}) };
        for (const k of TOGGLE_KEYS) delete settings[k];
        return { ...s, variant: row.variant, settings: { ...settings, ...row.settings } };
      }),
      { stage: 'backends' },
    ],
  };
}

function perPacket(rec: Record<string, number>, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(rec)) out[k] = n > 0 ? v / n : 0;
  return out;
}

/** A nic's CPU per packet split into the guest's categories and host (the lab's transport in neither). */
function nicGuestHost(
  ns: Float64Array,
  packetsIn: number,
): { guest_ns_per_packet: number; host_ns_per_packet: number } {
  const n = Math.max(1, packetsIn);
  const host = ns[CATEGORIES.indexOf('host')];
  const bus = ns[CATEGORIES.indexOf('bus')];
  return { guest_ns_per_packet: (ns.reduce((a, b) => a + b, 0) - host - bus) / n, host_ns_per_packet: host / n };
}

/** Builds a row from a finished chain. */
export function rowFromChain(
  spec: RowSpec,
  chain: EmbeddedChain,
  summary: RunSummary,
  gc = { ns: 0, count: 0 },
): BreakdownRow {
  const stages = chain.stages;
  const kpIndex = stages.findIndex((s) => isStage(s, 'kernel-path'));
  if (kpIndex < 0) throw new Error('breakdown: the chain has no kernel-path stage');
  const kp = stages[kpIndex];
  const sink = stages[stages.length - 1];
  const middle = stages.slice(1, -1);
  // the application is whatever follows the receive path; with nothing there, the sink is it
  const after = stages.slice(kpIndex + 1, -1);
  const sut = after.length > 0 ? middle : [...middle, sink];
  const appStages = after.length > 0 ? after : [sink];

  const ns = new Float64Array(CATEGORIES.length);
  for (const s of sut) for (let i = 0; i < ns.length; i++) ns[i] += s.stats.cpu.ns[i];
  const cat = (c: Category): number => ns[CATEGORIES.indexOf(c)];
  const total = ns.reduce((a, b) => a + b, 0);
  const bus = cat('bus');
  // mTCP's groups are the guest's CPU: KVM's host threads stand apart, as the lab's transport does
  const guest = total - bus - cat('host');
  const share = {} as Record<Group, number>;
  for (const [g, cats] of Object.entries(GROUPS) as [Group, readonly Category[]][])
    share[g] = total > 0 ? cats.reduce((a, c) => a + cat(c), 0) / total : 0;
  const cpuShare = {} as MtcpShares;
  for (const g of MTCP_GROUPS) cpuShare[g] = guest > 0 ? (share[g] * total) / guest : 0;
  const nicStage = stages.find((s) => isStage(s, 'nic'));

  const kpIn = kp.stats.packetsIn;
  const kpNs = kp.stats.cpu.totalNs() - kp.stats.cpu.ns[CATEGORIES.indexOf('bus')];
  const byCat: Record<string, number> = {};
  CATEGORIES.forEach((c, i) => {
    if (c !== 'bus' && kp.stats.cpu.ns[i] > 0) byCat[c] = kp.stats.cpu.ns[i] / Math.max(1, kpIn);
  });
  const kpNsPerPacket = kpIn > 0 ? kpNs / kpIn : 0;
  const details = (kp.element.describe?.() ?? {}) as { toggles?: Record<string, string> };

  return {
    name: spec.name,
    label: spec.label,
    kind: spec.kind,
    variant: kp.variant,
    toggles: details.toggles ?? {},
    sent: summary.sent,
    received: summary.received,
    drops_total: summary.drops_total,
    drops: summary.drops,
    accounting_closed: summary.accounting_closed,
    duration_s: summary.duration_s,
    throughput_pps: summary.throughput_pps,
    kernel_path: {
      packets_in: kpIn,
      ns_per_packet: kpNsPerPacket,
      capacity_pps: kpNsPerPacket > 0 ? 1e9 / kpNsPerPacket : 0,
      ns_per_packet_by_category: byCat,
      transport_ns_per_packet: kpIn > 0 ? kp.stats.cpu.ns[CATEGORIES.indexOf('bus')] / kpIn : 0,
      events_per_packet: perPacket(kp.stats.eventsByName(), kpIn),
    },
    system: {
      stages: sut.map((s) => s.name),
      application: appStages.map((s) => s.name),
      ns_per_packet: summary.received > 0 ? (total - bus) / summary.received : 0,
      share_of_measured: share,
      cpu_share: cpuShare,
      kernel_share: 1 - cpuShare.application,
      measured_cpu_s: total / 1e9,
    },
    nic: nicStage ? nicGuestHost(nicStage.stats.cpu.ns, nicStage.stats.packetsIn) : null,
    gc: { ns_per_packet: summary.received > 0 ? gc.ns / summary.received : 0, collections: gc.count },
    saves_ns_per_packet: null,
  };
}

/** Runs one row's chain to completion (the generator stops after the duration; the chain drains). */
export async function runRow(o: BreakdownOptions, row: RowSpec, durationS = o.durationS ?? 1): Promise<BreakdownRow> {
  const size = o.size ?? 64;
  const profile = o.profile ?? 'linux-3.10-xeon';
  const resolved = validateChain(chainFor(o, row, size, durationS, profile), o.registry, `breakdown row ${row.name}`);
  const chain = new EmbeddedChain(resolved, o.registry);
  const gc = new GcMeter();
  gc.start();
  await chain.start();
  const collected = gc.stop();
  const summary = summarize(resolved.name, profile, chain.stages, chain.elapsedSeconds());
  return rowFromChain(row, chain, summary, collected);
}

export async function runBreakdown(o: BreakdownOptions): Promise<BreakdownReport> {
  const size = o.size ?? 64;
  const durationS = o.durationS ?? 1;
  if (!(durationS > 0)) throw new Error(`breakdown: duration ${durationS} must be > 0 seconds`);
  if (size !== 'imix' && !(Number.isInteger(size) && size >= 64 && size <= 1518))
    throw new Error(`breakdown: size ${size} must be 64..1518 or imix`);
  const profileName = o.profile ?? 'linux-3.10-xeon';
  const profile = loadProfile(profileName);
  const specs = o.rows ?? defaultRows(o.mitigations !== false);
  // the first row would otherwise pay for compiling every stage's hot paths
  const warmupS = o.warmupS ?? Math.min(0.3, durationS);
  if (warmupS > 0) for (const w of [KERNEL_ROW, BYPASS_ROW]) await runRow(o, w, warmupS);
  const rows: BreakdownRow[] = [];
  for (const spec of specs) {
    const row = await runRow(o, spec);
    rows.push(row);
    o.onRow?.(row);
  }
  const kernel = rows.find((r) => r.name === KERNEL_ROW.name);
  if (kernel)
    for (const r of rows)
      if (r.kind !== 'preset') r.saves_ns_per_packet = kernel.kernel_path.ns_per_packet - r.kernel_path.ns_per_packet;
  const costs: Record<string, number> = {};
  for (const [k, v] of Object.entries(profile.costs)) costs[k] = v.ns;
  const c = cpus();
  const report: BreakdownReport = {
    profile: { name: profileName, costs_ns: costs },
    size,
    duration_s_per_row: durationS,
    chain: ['traffic-gen', ...(o.middle ?? [{ stage: 'kernel-path' }]).map((s) => s.name ?? s.stage), 'backends'],
    machine: {
      cpus: c.length,
      cpu_model: c[0]?.model ?? 'unknown',
      node: process.version,
      os: `${platform()} ${release()}`,
    },
    rows,
    comparison: compare(rows),
    notes: [],
  };
  report.notes = explain(report);
  return report;
}

/** Modelled (cost profile) nanoseconds per packet, from the row's events. */
function modelledPerPacket(row: BreakdownRow, costs: Record<string, number>): number {
  const e = row.kernel_path.events_per_packet;
  return (
    (e.interrupt ?? 0) * (costs.irq_entry ?? 0) +
    (e.syscall ?? 0) * (costs.syscall ?? 0) +
    (e.context_switch ?? 0) * (costs.context_switch ?? 0)
  );
}

function withKernel(s: MtcpShares): MtcpShares & { kernel: number } {
  return { ...s, kernel: 1 - s.application };
}

function compare(rows: BreakdownRow[]): BreakdownReport['comparison'] {
  const k = rows.find((r) => r.name === KERNEL_ROW.name) ?? null;
  const b = rows.find((r) => r.name === BYPASS_ROW.name) ?? null;
  const { mtcp, netmap, xdp } = PUBLISHED;
  const ratio = (x: number | undefined, y: number | undefined): number | null => (x && y ? x / y : null);
  return {
    mtcp: {
      source: mtcp.source,
      published: { ...mtcp.shares, kernel: mtcp.kernel },
      ours_kernel_mode: k ? withKernel(k.system.cpu_share) : null,
      ours_bypass_mode: b ? withKernel(b.system.cpu_share) : null,
    },
    netmap: {
      source: netmap.source,
      budget_ns: netmap.budgetNs,
      published_multiple: netmap.osMultiple,
      ours_kernel_ns_per_packet: k ? k.kernel_path.ns_per_packet : null,
      ours_multiple: k ? k.kernel_path.ns_per_packet / netmap.budgetNs : null,
      ours_bypass_multiple: b ? b.kernel_path.ns_per_packet / netmap.budgetNs : null,
    },
    xdp: {
      source: xdp.source,
      dpdk_mpps: xdp.dpdkMpps,
      linux_mpps: xdp.linuxMpps,
      published_ratio: xdp.ratio,
      ours_kernel_capacity_mpps: k ? k.kernel_path.capacity_pps / 1e6 : null,
      ours_bypass_capacity_mpps: b ? b.kernel_path.capacity_pps / 1e6 : null,
    },
    bypass_over_kernel: {
      capacity: ratio(b?.kernel_path.capacity_pps, k?.kernel_path.capacity_pps),
      throughput: ratio(b?.throughput_pps, k?.throughput_pps),
      published_xdp: xdp.ratio,
    },
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
/** The paper's figures, to the tenth the figure gives. */
const pct1 = (x: number): string => `${(x * 100).toFixed(1)} %`;
const GROUP_LABEL: Record<MtcpGroup, string> = {
  packet_io: 'packet I/O',
  kernel_without_tcpip: 'kernel without TCP/IP',
  tcpip: 'TCP/IP',
  application: 'application',
};

/** Where our figures differ from the published ones, and the reasons we can name. */
function explain(r: BreakdownReport): string[] {
  const notes: string[] = [];
  const k = r.rows.find((x) => x.name === KERNEL_ROW.name);
  const ours = r.comparison.mtcp.ours_kernel_mode;
  const costs = r.profile.costs_ns;
  const modelled = `irq_entry ${costs.irq_entry} ns, syscall ${costs.syscall} ns, context_switch ${costs.context_switch} ns`;
  notes.push(
    `Profile ${r.profile.name} (${modelled}): constants from their cited sources, never tuned to these papers.`,
  );
  if (k && ours) {
    const d = ours.kernel - PUBLISHED.mtcp.kernel;
    notes.push(
      Math.abs(d) < 0.05
        ? `Kernel share in kernel mode ${pct(ours.kernel)}, close to mTCP's 83 %.`
        : `Kernel share in kernel mode ${pct(ours.kernel)} against mTCP's 83 % (${d > 0 ? '+' : ''}${(d * 100).toFixed(0)} points). By group:`,
    );
    for (const g of MTCP_GROUPS) {
      const o = ours[g];
      const p = PUBLISHED.mtcp.shares[g];
      if (Math.abs(o - p) < 0.05) continue;
      const head = `  ${GROUP_LABEL[g]}: ours ${pct(o)}, mTCP ${pct(p)}:`;
      const hi = o > p;
      if (g === 'tcpip') {
        notes.push(
          hi
            ? `${head} our stack verifies IPv4 and UDP/TCP checksums byte by byte in JavaScript, which the kernel does in tuned C or leaves to NIC offload.`
            : `${head} our stack is UDP/IPv4 validation, checksums and a port lookup; mTCP's web workload also pays TCP connection state, ACKs and timers, which we do not model.`,
        );
      } else if (g === 'kernel_without_tcpip') {
        notes.push(
          hi
            ? `${head} our kernel preset takes an interrupt, a recvmsg and a context switch for every packet (${modelled}); lighttpd on Linux 3.10 had NAPI and epoll amortise them over many packets.`
            : `${head} the profile's per-event costs (${modelled}) are what is spent; with small or zero costs only the mechanisms' own JavaScript work remains.`,
        );
      } else if (g === 'application') {
        notes.push(
          `${head} our application is ${k.system.application.join(', ')}, a JavaScript packet handler (parsing, checksum check, latency probe), not lighttpd serving a file; its share follows its own per-packet work.`,
        );
      } else {
        notes.push(
          `${head} our driver is a descriptor ring read in JavaScript (DD bits, refill, doorbell), without the hardware and cache effects of a real NIC.`,
        );
      }
    }
    notes.push(
      `The lab's transport into the ring (bus) was ${pct(k.system.share_of_measured.lab_transport)} of measured CPU in kernel mode and is left out of the mTCP shares.`,
    );
  }
  const noAlloc = r.rows.find((x) => x.name === '-alloc');
  if (k && noAlloc && noAlloc.saves_ns_per_packet !== null) {
    const inCat = k.kernel_path.ns_per_packet_by_category.alloc ?? 0;
    notes.push(
      `Per-packet allocation: the alloc category holds ${inCat.toFixed(0)} ns/packet and switching it off saves ${noAlloc.saves_ns_per_packet.toFixed(0)} ns/packet; ` +
        `what the category misses is work the fresh objects cause later, elsewhere: collection (GC pauses ${k.gc.ns_per_packet.toFixed(0)} ns/packet in kernel mode, ${noAlloc.gc.ns_per_packet.toFixed(0)} with a pool) and cache misses on new memory.`,
    );
  }
  notes.push(
    'CPU time is the monotonic clock around each pass on this thread: on a loaded machine, time the thread was preempted counts too. Compare rows of one run; repeat on a quiet machine for published numbers.',
  );
  const nm = r.comparison.netmap;
  const modelledNs = k ? modelledPerPacket(k, costs) : 0;
  if (nm.ours_multiple !== null) {
    const [lo, hi] = nm.published_multiple;
    const m = nm.ours_multiple;
    const split = `of which the profile's modelled costs are ${modelledNs.toFixed(0)} ns (${(modelledNs / nm.budget_ns).toFixed(1)}x) and the mechanisms' own JavaScript work the rest`;
    notes.push(
      m >= lo && m <= hi
        ? `Kernel mode takes ${m.toFixed(1)}x the 67.2 ns budget per packet, inside netmap's 10-20x; ${split}.`
        : `Kernel mode takes ${m.toFixed(1)}x the 67.2 ns budget per packet, ${m > hi ? 'above' : 'below'} netmap's 10-20x; ${split}. ${m > hi ? 'Our kernel row pays an interrupt, a context switch and a system call for every packet, and JavaScript allocation, copies, checksums and event-loop hops are slower per operation than the kernel in C.' : 'The profile spends little or no modelled cost, leaving only the mechanisms.'}`,
    );
  }
  const bk = r.comparison.bypass_over_kernel;
  if (bk.capacity !== null) {
    const diff = Math.abs(Math.log(bk.capacity / bk.published_xdp)) > Math.log(1.25);
    notes.push(
      `Bypass over kernel, receive path per core: ${bk.capacity.toFixed(1)}x (XDP paper, DPDK over Linux: ${bk.published_xdp.toFixed(1)}x)` +
        (diff
          ? bk.capacity > bk.published_xdp
            ? ". It differs because the paper's Linux figure drops packets early (iptables raw table) under NAPI, with no socket, copy to user, system call or context switch, while our kernel row delivers every packet to the application through all of them (see the napi, -syscall and -copies rows for how much each removes)."
            : ". It differs because our bypass path still pays JavaScript per-packet work (the ring read and refill, skb bookkeeping) that DPDK does in a few vectorised instructions, while the profile's kernel costs are small."
          : '.'),
    );
  }
  if (bk.throughput !== null) {
    notes.push(
      `Whole-chain packets/s ratio ${bk.throughput.toFixed(1)}x is lower than the per-core ratio: the generator and the backends share the same thread and do not get faster with bypass.`,
    );
  }
  return notes;
}

// ---- formatting ----

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function mpps(pps: number): string {
  return (pps / 1e6).toFixed(3);
}

/** The table `vnflab breakdown` prints. */
export function formatBreakdown(r: BreakdownReport): string {
  const lines: string[] = [];
  const m = r.machine;
  lines.push(
    `vnflab breakdown: ${r.size === 'imix' ? 'IMIX' : `${r.size} B`} frames, profile ${r.profile.name}, ${r.duration_s_per_row} s per row, chain ${r.chain.join(' > ')}`,
  );
  lines.push(`machine: ${m.cpus} x ${m.cpu_model}, node ${m.node}, ${m.os}`);
  lines.push('');
  const head = [
    pad('row', 34),
    pad('chain Mpps', 11, true),
    pad('kp ns/pkt', 10, true),
    pad('kp Mpps/core', 13, true),
    pad('saves', 7, true),
    pad('GC', 6, true),
    pad('nic guest/host', 15, true),
    pad('pkt I/O', 8, true),
    pad('kernel', 7, true),
    pad('TCP/IP', 7, true),
    pad('app', 6, true),
    pad('| bus', 7, true),
    pad('closed', 8, true),
    '  events per packet',
  ].join('');
  lines.push(head);
  lines.push('-'.repeat(head.length + 20));
  for (const row of r.rows) {
    const s = row.system.cpu_share;
    const ev = Object.entries(row.kernel_path.events_per_packet)
      .map(([k, v]) => `${k} ${v < 0.1 ? v.toFixed(3) : v.toFixed(2)}`)
      .join(', ');
    lines.push(
      [
        pad(`${row.name}  ${row.kind === 'preset' ? '' : '(' + row.kind + ')'}`.trim(), 34),
        pad(mpps(row.throughput_pps), 11, true),
        pad(row.kernel_path.ns_per_packet.toFixed(0), 10, true),
        pad(mpps(row.kernel_path.capacity_pps), 13, true),
        pad(row.saves_ns_per_packet === null ? '' : row.saves_ns_per_packet.toFixed(0), 7, true),
        pad(row.gc.ns_per_packet.toFixed(0), 6, true),
        pad(
          row.nic ? `${row.nic.guest_ns_per_packet.toFixed(0)}/${row.nic.host_ns_per_packet.toFixed(0)}` : '-',
          15,
          true,
        ),
        pad(pct(s.packet_io), 8, true),
        pad(pct(s.kernel_without_tcpip), 7, true),
        pad(pct(s.tcpip), 7, true),
        pad(pct(s.application), 6, true),
        pad(`| ${pct(row.system.share_of_measured.lab_transport)}`, 7, true),
        pad(row.accounting_closed ? 'yes' : 'NO', 8, true),
        `  ${ev || '-'}`,
      ].join(''),
    );
  }
  lines.push('');
  lines.push('Rows: ' + r.rows.map((x) => `${x.name} = ${x.label}`).join('; '));
  lines.push(
    "kp = the kernel-path stage alone (lab transport excluded); saves = kp ns/pkt saved against the kernel row; GC = collector pauses per packet, already inside the other columns; nic guest/host = the nic's CPU per packet in the guest and in KVM's host threads (vhost-net, QEMU, the host NIC driver).",
  );
  lines.push(
    "Shares are of the guest's measured CPU of " +
      (r.rows[0]?.system.stages.join(', ') ?? '-') +
      ", grouped as mTCP Figure 1; bus (the lab's transport) and host (KVM's host threads) are shown apart.",
  );
  lines.push('');
  lines.push('Published figures beside ours');
  const c = r.comparison;
  const pub = c.mtcp.published;
  const ours = c.mtcp.ours_kernel_mode;
  lines.push(
    `  mTCP Fig. 1 (Linux 3.10): packet I/O ${pct1(pub.packet_io)}, kernel w/o TCP/IP ${pct1(pub.kernel_without_tcpip)}, TCP/IP ${pct1(pub.tcpip)}, application ${pct1(pub.application)}; kernel ${pct1(pub.kernel)}`,
  );
  if (ours)
    lines.push(
      `  ours, kernel mode:      packet I/O ${pct(ours.packet_io)}, kernel w/o TCP/IP ${pct(ours.kernel_without_tcpip)}, TCP/IP ${pct(ours.tcpip)}, application ${pct(ours.application)}; kernel ${pct(ours.kernel)}`,
    );
  if (c.mtcp.ours_bypass_mode) {
    const b = c.mtcp.ours_bypass_mode;
    lines.push(
      `  ours, bypass mode:      packet I/O ${pct(b.packet_io)}, kernel w/o TCP/IP ${pct(b.kernel_without_tcpip)}, TCP/IP ${pct(b.tcpip)}, application ${pct(b.application)}; kernel ${pct(b.kernel)}`,
    );
  }
  if (c.netmap.ours_multiple !== null) {
    lines.push(
      `  netmap: budget ${c.netmap.budget_ns} ns/packet (10 GbE, 64 B), an OS takes 10-20x; ours: kernel ${c.netmap.ours_kernel_ns_per_packet!.toFixed(0)} ns = ${c.netmap.ours_multiple.toFixed(1)}x, bypass ${c.netmap.ours_bypass_multiple?.toFixed(1) ?? '-'}x`,
    );
  }
  const x = c.xdp;
  lines.push(
    `  XDP paper, 1 core: DPDK ${x.dpdk_mpps} Mpps vs Linux ${x.linux_mpps} Mpps = ${x.published_ratio.toFixed(1)}x; ours: bypass ${x.ours_bypass_capacity_mpps?.toFixed(2) ?? '-'} vs kernel ${x.ours_kernel_capacity_mpps?.toFixed(2) ?? '-'} Mpps/core = ${c.bypass_over_kernel.capacity?.toFixed(1) ?? '-'}x (whole chain ${c.bypass_over_kernel.throughput?.toFixed(1) ?? '-'}x)`,
  );
  lines.push('');
  lines.push('Notes');
  for (const n of r.notes) lines.push(n.startsWith('  ') ? `  ${n}` : `  - ${n}`);
  return lines.join('\n');
}
