// RX device side of emulated: the host's NIC receives into host RAM, then QEMU's e1000 model -
// the same receive engine as the physical NIC - copies each frame out of host RAM into the
// guest's ring and raises moderated interrupts; the host driver then refills its own ring. All of
// it runs on the host (the host kernel's driver, QEMU's device model), none in the guest: host.

import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, ElementContext } from '@vnflab/core';
import type { BurstCounts } from './burst';
import type { HostNicRx } from './host-nic-rx';
import type { RxRingFill } from './rx-ring-fill';
import type { RxDeviceSide } from './sides';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const CAT_HOST = core.Cat.host;

export class E1000ModelRx implements RxDeviceSide {
  constructor(
    readonly host: HostNicRx,
    readonly fill: RxRingFill,
  ) {}

  receive(batch: Batch, now: number, ctx: ElementContext, t: number, b: BurstCounts): number {
    const cpu = ctx.stats.cpu;
    const h = this.host;
    h.receive(batch, b);
    t = cpu.end(CAT_HOST, t);

    const fill = this.fill;
    const dev = fill.engine;
    const hq = h.q;
    const htag = h.tag;
    const hostPool = h.pool;
    const hostBytes = h.ram.bytes;
    const received0 = dev.received;
    const missed0 = dev.missed;
    let interrupts = 0;
    for (let k = 0; k < hq.n; k++) {
      const hb = hq.buf[k];
      interrupts += fill.frame(batch, htag[hq.slot[k]], hostBytes, hostPool.addr(hb), hq.len[k], now);
      hostPool.put(hb);
    }
    interrupts += fill.idle();
    const accepted = dev.received - received0;
    b.interrupts += interrupts;
    b.delivered += accepted;
    b.copies += accepted;
    b.missed += dev.missed - missed0;
    h.refill();
    return cpu.end(CAT_HOST, t);
  }

  describe(out: Record<string, unknown>): void {
    out.irq_moderation = this.fill.irq.describe();
  }

  metrics(_labels: Record<string, string>, _out: CustomMetricSpec[]): void {}
}
