// The backends: the far end of the chain. Verifies every packet's checksums after the LB
// rewrote it, measures end-to-end latency from the probe, tracks loss/reordering/duplicates per
// flow, and counts packets per backend address.

import { Type, type Static } from '@sinclair/typebox';
import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, Element, ElementContext } from '@vnflab/core';
import { FlowTracker, SeqVerdict } from './flow-tracker';

export const BackendsSettingsSchema = Type.Object(
  {
    verify_checksums: Type.Optional(Type.Boolean({ description: 'verify IPv4 and UDP/TCP checksums (default true)' })),
    names: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'backend address -> name, for metrics labels' }),
    ),
  },
  { additionalProperties: false },
);
export type BackendsSettings = Static<typeof BackendsSettingsSchema>;

// Bound once at load (docs/architecture.md, "Hot-path imports").
const {
  Cat,
  LogHistogram,
  ParsedFrame,
  PROTO_IPIP,
  hasProbe,
  ipFromString,
  ipToString,
  monoNs,
  parseEthernet,
  parseIpv4,
  parseL4,
  probeFlow,
  probeSendNs,
  probeSeq,
  reasonCode,
  UNTIMED_OTHER_HOST,
} = core;

const DUPLICATE = reasonCode('duplicate');

export class Backends implements Element {
  readonly stage = 'backends';
  readonly variant = 'sink';
  readonly e2e = new LogHistogram();
  readonly flows = new FlowTracker();
  received = 0;
  noProbe = 0;
  /** Packets per backend (destination address after NAT, or the outer destination of IP-in-IP). */
  readonly perBackend = new Map<number, number>();
  private readonly p = new ParsedFrame();
  private readonly verify: boolean;

  private readonly names = new Map<number, string>();

  constructor(settings: BackendsSettings = {}) {
    this.verify = settings.verify_checksums !== false;
    for (const [addr, name] of Object.entries(settings.names ?? {})) this.names.set(ipFromString(addr), name);
  }

  process(batch: Batch, ctx: ElementContext): void {
    const t0 = ctx.stats.cpu.begin();
    const buf = batch.buf;
    const p = this.p;
    const now = monoNs();
    // the packets were timed by the source: on another host's clock their times mean nothing here
    const timedHere = batch.createdHere;
    for (let i = 0, n = batch.count; i < n; i++) {
      if (!batch.alive(i)) continue;
      const off = batch.offset(i);
      const end = off + batch.length(i);
      let l3 = parseEthernet(buf, off, batch.length(i));
      if (l3 < 0) {
        batch.drop(i, -l3);
        continue;
      }
      let r = parseIpv4(buf, l3, end, p, this.verify);
      const backendIp = p.dstIp;
      if (r === 0 && p.proto === PROTO_IPIP) {
        // IP-in-IP (direct server return): the backend decapsulates the inner packet
        l3 = p.l4Off;
        r = parseIpv4(buf, l3, end, p, this.verify);
      }
      if (r === 0) r = parseL4(buf, p, this.verify);
      if (r !== 0) {
        batch.drop(i, r);
        continue;
      }
      let sendNs = batch.genNs(i);
      if (hasProbe(buf, p.payloadOff, p.payloadOff + p.payloadLen)) {
        const v = this.flows.observe(probeFlow(buf, p.payloadOff), probeSeq(buf, p.payloadOff));
        if (v === SeqVerdict.Duplicate) {
          batch.drop(i, DUPLICATE);
          continue;
        }
        sendNs = probeSendNs(buf, p.payloadOff);
      } else {
        this.noProbe++;
      }
      if (sendNs > 0) {
        if (timedHere) this.e2e.record(now - sendNs);
        else ctx.stats.event(UNTIMED_OTHER_HOST);
      }
      this.perBackend.set(backendIp, (this.perBackend.get(backendIp) ?? 0) + 1);
      this.received++;
    }
    ctx.stats.cpu.end(Cat.app, t0);
  }

  describe(): Record<string, unknown> {
    const per: Record<string, number> = {};
    for (const [ip, n] of this.perBackend) per[ipToString(ip)] = n;
    return {
      received: this.received,
      per_backend: per,
      flows_seen: this.flows.flowsSeen,
      reordered: this.flows.reordered,
      duplicates: this.flows.duplicates,
      sequence_gaps: this.flows.gaps,
      no_probe: this.noProbe,
      untracked_flows: this.flows.untracked,
    };
  }

  private byName(): [string, number][] {
    const m = new Map<string, number>();
    for (const [ip, n] of this.perBackend) {
      const name = this.names.get(ip) ?? 'unnamed';
      m.set(name, (m.get(name) ?? 0) + n);
    }
    return [...m];
  }

  metrics(): CustomMetricSpec[] {
    return [
      {
        name: 'vnflab_backend_packets_total',
        help: 'Packets received per backend address',
        type: 'counter',
        // labelled by configured name, never by address (bounded labels)
        samples: this.byName().map(([name, n]) => ({ labels: { stage: 'backends', backend: name }, value: n })),
      },
      {
        name: 'vnflab_reordered_total',
        help: 'Packets that arrived after a later packet of their flow',
        type: 'counter',
        samples: [{ labels: { stage: 'backends' }, value: this.flows.reordered }],
      },
      {
        name: 'vnflab_duplicates_total',
        help: 'Packets received twice (bus redelivery), not counted as received',
        type: 'counter',
        samples: [{ labels: { stage: 'backends' }, value: this.flows.duplicates }],
      },
    ];
  }
}
