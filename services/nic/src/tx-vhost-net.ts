// TX device side of virtio: after a kick (or while it polls), vhost-net takes every descriptor
// the guest made available, copies the frame out of guest memory into a host buffer (the one
// copy of paravirtual I/O), returns the descriptor used and notifies the guest as EVENT_IDX (or
// NO_INTERRUPT) says; the host's NIC DMAs the copy onto the wire.
// All of it runs on the host (the vhost worker or QEMU, the host's NIC driver): host.

import * as core from '@vnflab/core';
import type { Batch, ElementContext } from '@vnflab/core';
import { Reason } from '@vnflab/core';
import type { BurstCounts } from './burst';
import type { DmaPort } from './dma';
import type { HostNicTx } from './host-nic-tx';
import { IOMMU_FAULT_REASON } from './reasons';
import type { TxDeviceSide } from './sides';
import type { GuestVirtioTx } from './tx-guest-virtio';
import { VhostTxBackend, VQ_TX_FAULT } from './virtio-tx';
import { describeVirtqueue } from './virtqueue-view';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const CAT_HOST = core.Cat.host;
const OVERSIZE_REASON = Reason.oversize;

export class VhostNetTx implements TxDeviceSide {
  readonly vhost: VhostTxBackend;

  /** `tag`: descriptor id -> index of the frame in the batch. */
  constructor(
    readonly guest: GuestVirtioTx,
    port: DmaPort,
    private readonly tag: Int32Array,
    readonly host: HostNicTx,
  ) {
    this.vhost = new VhostTxBackend(guest.vq, port, guest.driver.eventIdx, () => guest.interrupted());
    this.vhost.end(); // vhost starts waiting for a kick
  }

  transmit(batch: Batch, _now: number, ctx: ElementContext, t: number, b: BurstCounts): number {
    const vhost = this.vhost;
    const tag = this.tag;
    const host = this.host;
    const hostBytes = host.bytes;
    const buf = batch.buf;
    const notified0 = vhost.notifications;
    let sent = 0;
    vhost.begin();
    for (let id = vhost.next(); id >= 0; id = vhost.next()) {
      const i = tag[id];
      tag[id] = -1;
      const r = vhost.send(id, hostBytes, 0);
      if (r < 0) batch.drop(i, r === VQ_TX_FAULT ? IOMMU_FAULT_REASON : OVERSIZE_REASON);
      else {
        sent++;
        host.wire(buf, batch.offset(i), r);
      }
    }
    vhost.end();
    b.interrupts += vhost.notifications - notified0;
    b.delivered += sent;
    b.copies += sent;
    b.dmas += sent;
    return ctx.stats.cpu.end(CAT_HOST, t);
  }

  describe(out: Record<string, unknown>): void {
    // the TX description always carried the key, undefined: a virtqueue has no NIC moderation
    out.irq_moderation = undefined;
    out.event_idx = this.vhost.eventIdx;
    out.virtqueue = describeVirtqueue(this.guest.vq, this.vhost, this.guest.driver);
  }
}
