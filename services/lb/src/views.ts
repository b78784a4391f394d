// What the lb shows of itself: the VIPs with their backends (the JSON the control API returns),
// describe() for /stats and summaries, the Prometheus metrics, and lookups for the CLI and the
// backends stage. All read the pool and the control state; none runs per packet.

import { flowHash, ipFromString, ipToString, type CustomMetricSpec, type MetricDeclaration } from '@vnflab/core';
import type { ConnTrack } from './conntrack';
import type { ChangeReport, LbControl } from './control-operations';
import { idealShares } from './disruption';
import type { BackendPool, Vip } from './pool';
import type { Algorithm } from './selector';
import type { ForwardingMode, Protocol } from './settings';

export interface BackendView {
  name: string;
  address: string;
  port: number;
  weight: number;
  state: 'up' | 'down' | 'drained';
  /** Fraction of the VIP's table this backend owns (round-robin: of new flows). */
  share: number;
  /** Share by weight among eligible backends. */
  ideal_share: number;
  packets: number;
  tracked_flows: number;
}

export interface VipView {
  name: string;
  address: string;
  port: number;
  protocols: Protocol[];
  algorithm: Algorithm;
  table_size: number | null;
  eligible: number;
  backends: BackendView[];
  last_change: ChangeReport | null;
}

function trackedPerBackend(ct: ConnTrack | null): Map<number, number> {
  const m = new Map<number, number>();
  ct?.sweep((_h, b) => {
    m.set(b, (m.get(b) ?? 0) + 1);
    return false;
  });
  return m;
}

/** Every VIP with its backends, their state, table share, packets and tracked flows. */
export function listBackends(control: LbControl): VipView[] {
  const tracked = trackedPerBackend(control.conntrack);
  const pool = control.pool;
  return pool.vips.map((v) => {
    const ideal = idealShares(pool.eligible(v), v.selector.weighted);
    return {
      name: v.name,
      address: ipToString(v.address),
      port: v.port,
      protocols: [...v.protocols],
      algorithm: v.selector.algorithm,
      table_size: v.selector.algorithm === 'round-robin' ? null : control.tableSize,
      eligible: ideal.size,
      backends: v.members.map((id) => ({
        name: pool.names[id],
        address: ipToString(pool.addr[id]),
        port: pool.port[id],
        weight: pool.weight[id],
        state: pool.up[id] === 0 ? 'down' : pool.weight[id] === 0 ? 'drained' : 'up',
        share: v.shares.get(id) ?? 0,
        ideal_share: ideal.get(id) ?? 0,
        packets: pool.packets[id],
        tracked_flows: tracked.get(id) ?? 0,
      })),
      last_change: control.lastChange.get(v.name) ?? null,
    };
  });
}

/** Backend address -> name now (for the backends stage's per-backend counts). */
export function currentBackendNames(pool: BackendPool): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of pool.vips) {
    for (const id of v.members) {
      const a = ipToString(pool.addr[id]);
      out[a] = out[a] && out[a] !== pool.names[id] ? `${out[a]}+${pool.names[id]}` : pool.names[id];
    }
  }
  return out;
}

/** Name of the backend a flow is tracked to at `now`, or null; changes nothing in the table. */
export function trackedBackendName(
  control: LbControl,
  srcIp: string,
  srcPort: number,
  dstIp: string,
  dstPort: number,
  proto: number,
  now: number,
): string | null {
  const ct = control.conntrack;
  if (!ct) return null;
  const s = ipFromString(srcIp);
  const d = ipFromString(dstIp);
  const b = ct.find(flowHash(s, d, proto, srcPort, dstPort), s, d, ((srcPort << 16) | dstPort) >>> 0, proto, now);
  return b < 0 ? null : control.pool.names[b];
}

/** The element's state for /stats and summaries. */
export function describeLb(variant: Algorithm, mode: ForwardingMode, control: LbControl): Record<string, unknown> {
  const ct = control.conntrack;
  return {
    algorithm: variant,
    mode,
    table_size: control.tableSize,
    conntrack: ct
      ? {
          capacity: ct.capacity,
          entries: ct.size,
          hits: ct.hits,
          misses: ct.misses,
          evictions: ct.evictions,
          expired: ct.expired,
          purged: ct.purged,
          idle_timeout_s: ct.idleNs / 1e9,
        }
      : null,
    changes: control.changes,
    vips: listBackends(control),
  };
}

/** The metrics the lb reports (its manifest declares them; lbMetrics fills in the samples). */
export const LB_METRICS = {
  backend_packets_total: {
    name: 'vnflab_lb_backend_packets_total',
    help: 'Packets the load balancer sent to each backend (labelled by name, never by address)',
    type: 'counter',
  },
  backend_share_ratio: {
    name: 'vnflab_lb_backend_share_ratio',
    help: 'Fraction of the VIP table a backend owns (round-robin: its share of new flows)',
    type: 'gauge',
  },
  backend_weight: { name: 'vnflab_lb_backend_weight', help: 'Backend weight (0 = drained)', type: 'gauge' },
  backend_up: { name: 'vnflab_lb_backend_up', help: '1 when the backend is up, 0 when marked down', type: 'gauge' },
  conntrack_hits_total: {
    name: 'vnflab_lb_conntrack_hits_total',
    help: 'Packets whose flow was tracked',
    type: 'counter',
  },
  conntrack_misses_total: {
    name: 'vnflab_lb_conntrack_misses_total',
    help: 'Packets of flows not tracked (new, expired or evicted)',
    type: 'counter',
  },
  conntrack_evictions_total: {
    name: 'vnflab_lb_conntrack_evictions_total',
    help: 'Tracked flows pushed out by new ones when the table was full (LRU)',
    type: 'counter',
  },
  conntrack_expired_total: {
    name: 'vnflab_lb_conntrack_expired_total',
    help: 'Tracked flows forgotten after the idle timeout',
    type: 'counter',
  },
  conntrack_entries: { name: 'vnflab_lb_conntrack_entries', help: 'Flows tracked now', type: 'gauge' },
  conntrack_capacity: {
    name: 'vnflab_lb_conntrack_capacity',
    help: 'Flows the table holds at most (0 = tracking off)',
    type: 'gauge',
  },
  table_rebuilds_total: {
    name: 'vnflab_lb_table_rebuilds_total',
    help: 'Selection table rebuilds (every backend change)',
    type: 'counter',
  },
  table_build_seconds: {
    name: 'vnflab_lb_table_build_seconds',
    help: 'Duration of the last table build',
    type: 'gauge',
  },
  table_build_seconds_total: {
    name: 'vnflab_lb_table_build_seconds_total',
    help: 'Time spent building tables',
    type: 'counter',
  },
  entries_moved_ratio: {
    name: 'vnflab_lb_entries_moved_ratio',
    help: 'Fraction of the VIP hash space that changed backend on the last change',
    type: 'gauge',
  },
  entries_moved_ideal_ratio: {
    name: 'vnflab_lb_entries_moved_ideal_ratio',
    help: 'The least fraction any scheme had to move on the last change',
    type: 'gauge',
  },
  flows_moved_ratio: {
    name: 'vnflab_lb_flows_moved_ratio',
    help: 'Fraction of tracked flows that changed backend on the last change',
    type: 'gauge',
  },
} as const satisfies Record<string, MetricDeclaration>;

/** The lb's Prometheus metrics, labelled by VIP and backend name (never by address). */
export function lbMetrics(stage: string, variant: Algorithm, control: LbControl): CustomMetricSpec[] {
  const base = { stage, variant };
  const pool = control.pool;
  const perBackend = (f: (id: number, v: Vip) => number): CustomMetricSpec['samples'] =>
    pool.vips.flatMap((v) =>
      v.members.map((id) => ({ labels: { ...base, vip: v.name, backend: pool.names[id] }, value: f(id, v) })),
    );
  const perVip = (f: (v: Vip) => number): CustomMetricSpec['samples'] =>
    pool.vips.map((v) => ({ labels: { ...base, vip: v.name }, value: f(v) }));
  const ct = control.conntrack;
  const ctSample = (x: number): CustomMetricSpec['samples'] => [{ labels: base, value: ct ? x : 0 }];
  const last = (v: Vip): ChangeReport | undefined => control.lastChange.get(v.name);
  return [
    {
      ...LB_METRICS.backend_packets_total,
      samples: [
        ...perBackend((id) => pool.packets[id]),
        ...[...control.retired.values()].map((r) => ({
          labels: { ...base, vip: r.vip, backend: r.backend },
          value: r.packets,
        })),
      ],
    },
    { ...LB_METRICS.backend_share_ratio, samples: perBackend((id, v) => v.shares.get(id) ?? 0) },
    { ...LB_METRICS.backend_weight, samples: perBackend((id) => pool.weight[id]) },
    { ...LB_METRICS.backend_up, samples: perBackend((id) => pool.up[id]) },
    { ...LB_METRICS.conntrack_hits_total, samples: ctSample(ct?.hits ?? 0) },
    { ...LB_METRICS.conntrack_misses_total, samples: ctSample(ct?.misses ?? 0) },
    { ...LB_METRICS.conntrack_evictions_total, samples: ctSample(ct?.evictions ?? 0) },
    { ...LB_METRICS.conntrack_expired_total, samples: ctSample(ct?.expired ?? 0) },
    { ...LB_METRICS.conntrack_entries, samples: ctSample(ct?.size ?? 0) },
    { ...LB_METRICS.conntrack_capacity, samples: ctSample(ct?.capacity ?? 0) },
    { ...LB_METRICS.table_rebuilds_total, samples: perVip((v) => v.selector.rebuilds) },
    { ...LB_METRICS.table_build_seconds, samples: perVip((v) => v.selector.lastBuildNs / 1e9) },
    { ...LB_METRICS.table_build_seconds_total, samples: perVip((v) => v.selector.totalBuildNs / 1e9) },
    { ...LB_METRICS.entries_moved_ratio, samples: perVip((v) => last(v)?.table?.fraction_moved ?? 0) },
    { ...LB_METRICS.entries_moved_ideal_ratio, samples: perVip((v) => last(v)?.table?.ideal_fraction ?? 0) },
    { ...LB_METRICS.flows_moved_ratio, samples: perVip((v) => last(v)?.flows.fraction_moved ?? 0) },
  ];
}
