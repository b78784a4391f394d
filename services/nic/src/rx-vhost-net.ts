// RX device side of virtio: the host's NIC receives into host RAM, then vhost-net copies each
// frame into the next buffer the guest made available on the virtqueue (the one copy of
// paravirtual I/O) and notifies the guest as EVENT_IDX (or NO_INTERRUPT) says; the host driver
// then refills its own ring. All of it runs on the host (the host kernel's driver, the vhost
// worker thread), none in the guest: host.

import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, ElementContext } from '@vnflab/core';
import { Reason } from '@vnflab/core';
import type { BurstCounts } from './burst';
import type { DmaPort } from './dma';
import type { HostNicRx } from './host-nic-rx';
import { IOMMU_FAULT_REASON, RX_MISSED_REASON } from './reasons';
import type { GuestVirtioRx } from './rx-guest-virtio';
import type { RxDeviceSide } from './sides';
import { VQ_FAULT, VQ_NO_BUFFER, VhostBackend } from './vhost-backend';
import { describeVirtqueue } from './virtqueue-view';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const CAT_HOST = core.Cat.host;
const OVERSIZE_REASON = Reason.oversize;

export class VhostNetRx implements RxDeviceSide {
  readonly vhost: VhostBackend;

  /** `tag`: virtqueue descriptor id -> index of the frame in the batch. */
  constructor(
    readonly host: HostNicRx,
    readonly guest: GuestVirtioRx,
    port: DmaPort,
    private readonly tag: Int32Array,
  ) {
    this.vhost = new VhostBackend(guest.vq, port, guest.driver.eventIdx, () => guest.interrupted());
  }

  receive(batch: Batch, _now: number, ctx: ElementContext, t: number, b: BurstCounts): number {
    const cpu = ctx.stats.cpu;
    const h = this.host;
    h.receive(batch, b);
    t = cpu.end(CAT_HOST, t);

    const vhost = this.vhost;
    const tag = this.tag;
    const hq = h.q;
    const htag = h.tag;
    const hostPool = h.pool;
    const hostBytes = h.ram.bytes;
    const notified0 = vhost.notifications;
    let accepted = 0;
    let missed = 0;
    vhost.begin();
    for (let k = 0; k < hq.n; k++) {
      const i = htag[hq.slot[k]];
      const hb = hq.buf[k];
      const id = vhost.rx(hostBytes, hostPool.addr(hb), hq.len[k]);
      hostPool.put(hb);
      if (id >= 0) {
        tag[id] = i;
        accepted++;
      } else if (id === VQ_NO_BUFFER) {
        missed++;
        batch.drop(i, RX_MISSED_REASON);
      } else {
        batch.drop(i, id === VQ_FAULT ? IOMMU_FAULT_REASON : OVERSIZE_REASON);
      }
    }
    b.interrupts += vhost.notifications - notified0;
    b.delivered += accepted;
    b.copies += accepted;
    b.missed += missed;
    h.refill();
    return cpu.end(CAT_HOST, t);
  }

  describe(out: Record<string, unknown>): void {
    out.event_idx = this.vhost.eventIdx;
    out.virtqueue = describeVirtqueue(this.guest.vq, this.vhost, this.guest.driver);
  }

  metrics(labels: Record<string, string>, out: CustomMetricSpec[]): void {
    out.push({
      name: 'vnflab_nic_notifications_suppressed_total',
      help: 'virtio notifications not sent: interrupts suppressed by used_event/NO_INTERRUPT, kicks by avail_event/NO_NOTIFY',
      type: 'counter',
      samples: [
        { labels: { ...labels, kind: 'interrupt' }, value: this.vhost.suppressed },
        { labels: { ...labels, kind: 'kick' }, value: this.guest.driver.kicksSuppressed },
      ],
    });
  }
}
