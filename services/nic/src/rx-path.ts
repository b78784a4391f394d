// The nic element's receive direction (direction: rx, the default): the batch that arrives is
// the packets on the wire; the batch it leaves is what the guest driver harvested.
//
//   native       wire -> NIC DMA -> host RAM ring -> driver                    (no hypervisor)
//   passthrough  wire -> NIC DMA -> IOMMU -> guest RAM ring -> guest driver    (VT-d/SR-IOV)
//   virtio       wire -> NIC DMA -> host ring -> vhost copy -> virtqueue -> guest virtio-net
//   emulated     wire -> NIC DMA -> host ring -> QEMU e1000 copy -> guest e1000 ring -> driver
//                (every driver register access traps)
//
// A mode is a device side and a guest side (sides.ts) chosen once here. A burst arrives back to
// back, faster than the guest reacts: the device side handles the whole burst, then the guest
// driver runs once for the interrupts it got (interrupt service routine per interrupt, one NAPI
// poll). What a handler does the moment its interrupt arrives - virtio-net turning further
// interrupts off - takes effect at once, inside the device's pass (one store, left in that pass).
// Modelled costs are spent where the mechanism counted them; every pass is measured, and billed
// to the guest's categories or, for what KVM runs in host threads, to host:
//
//   device DMA + write-back + interrupts (packet_io), or the host NIC driver and the backend's
//   copy (host) -> interrupt delivery (irq, vm_exit) -> guest driver harvest + refill
//   (packet_io) -> its exits (vm_exit; the device model's trips: host)
//   -> the harvested bytes back into the batch (bus)

import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, ElementContext, GuestMemory, Mempool, RxDescRing } from '@vnflab/core';
import { RX_DESC_SIZE } from '@vnflab/core';
import { BurstCounts, type NicTotals } from './burst';
import type { DmaPort } from './dma';
import { GuestQueueRam } from './guest-queue-ram';
import { billGuestExits } from './guest-exits';
import { HarvestQueue } from './harvest-queue';
import { HostNicRx } from './host-nic-rx';
import { IOMMU_READ, IOMMU_WRITE, type IommuDomain } from './iommu';
import { createInterruptDelivery, type InterruptDelivery } from './irq-delivery';
import { E1000ModelRx } from './rx-e1000-model';
import { GuestRingRx } from './rx-guest-ring';
import { GuestVirtioRx } from './rx-guest-virtio';
import { NicDmaRx } from './rx-nic-dma';
import { RxRingFill } from './rx-ring-fill';
import { VhostNetRx } from './rx-vhost-net';
import type { NicConfig } from './settings';
import type { RxDeviceSide, RxGuestSide } from './sides';
import type { VhostBackend } from './vhost-backend';
import { virtqLayout, type SplitVirtqueue } from './virtqueue';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { Cat, monoNs } = core;
const CAT_PACKET_IO = Cat.packet_io;
const CAT_BUS = Cat.bus;

export class RxPath {
  /** Completed descriptors waiting for the driver once the device wrote the last burst back (vnflab_ring_occupancy). */
  occupancy = 0;
  /** The guest's RAM (native: the host's). */
  readonly ram: GuestMemory;
  readonly pool: Mempool;
  /** The device's IOMMU domain, when one translates (passthrough, or a vIOMMU). */
  readonly iommu: IommuDomain | null;
  /** What device DMA (or the backend's copy) into guest RAM goes through. */
  readonly guestPort: DmaPort;
  readonly guest: RxGuestSide;
  readonly device: RxDeviceSide;
  private readonly delivery: InterruptDelivery;
  private readonly q: HarvestQueue;
  /** Ring slot / descriptor id -> index of the packet in the current batch (lab bookkeeping). */
  private readonly tag: Int32Array;
  private readonly burst = new BurstCounts();

  constructor(
    readonly config: NicConfig,
    readonly totals: NicTotals,
  ) {
    const cfg = config;
    const size = cfg.ringSize;
    // a ring's worth of buffers posted plus a ring's worth held until write-back; the device
    // writes received frames into them, so the IOMMU maps them read/write
    const g = new GuestQueueRam(
      cfg.virtqueue ? virtqLayout(size).total : size * RX_DESC_SIZE,
      2 * size,
      cfg.iommu,
      IOMMU_READ | IOMMU_WRITE,
    );
    this.ram = g.ram;
    this.pool = g.pool;
    this.iommu = g.iommu;
    this.guestPort = g.guestPort;
    this.q = new HarvestQueue(size);
    this.tag = new Int32Array(size).fill(-1);
    this.delivery = createInterruptDelivery(cfg.irqDelivery);

    if (cfg.virtqueue) {
      const guest = new GuestVirtioRx(g, size, cfg.eventIdx);
      this.guest = guest;
      this.device = new VhostNetRx(new HostNicRx(size), guest, g.guestPort, this.tag);
    } else {
      const guest = new GuestRingRx(g, size, cfg.registerTraps);
      this.guest = guest;
      const fill = new RxRingFill(guest, g.guestPort, this.tag, cfg.moderationCount, cfg.moderationUsecs);
      this.device = cfg.hostBackend ? new E1000ModelRx(new HostNicRx(size), fill) : new NicDmaRx(fill);
    }
  }

  process(batch: Batch, ctx: ElementContext): void {
    const stats = ctx.stats;
    const cpu = stats.cpu;
    const q = this.q;
    const b = this.burst;
    const iommu = this.iommu;
    const now = monoNs();
    b.reset();
    q.reset();
    const faults0 = iommu ? iommu.faults : 0;

    // the device side: the burst into guest buffers, write-back, interrupts raised
    let t = cpu.begin();
    t = this.device.receive(batch, now, ctx, t, b);
    this.occupancy = this.guest.occupancy;

    const interrupts = b.interrupts;
    batch.interrupts = interrupts; // the guest's receive path (kernel-path) takes these interrupts
    if (interrupts > 0) {
      // interrupt delivery into the guest, then the guest driver runs for the interrupts it got
      t = this.delivery.deliver(interrupts, ctx, t, b);
      this.guest.harvest(interrupts, q, b);
      t = cpu.end(CAT_PACKET_IO, t);
      t = billGuestExits(b.traps, b.kicks, ctx, t, b);
    }

    if (q.n !== b.delivered)
      throw new Error(`nic: ${b.delivered} packets reached guest buffers but the driver harvested ${q.n}`);
    this.transport(batch);
    cpu.end(CAT_BUS, t);

    const faults = iommu ? iommu.faults - faults0 : 0;
    if (faults > 0 && iommu) {
      ctx.log.warn(
        { stage: 'nic', faults, iova: `0x${iommu.lastFaultIova.toString(16)}`, write: iommu.lastFaultWrite },
        'IOMMU refused device DMA (DMA remapping fault); packets dropped',
      );
    }
    b.report(stats, this.totals, faults);
  }

  /** The lab's transport: the harvested bytes go back into the batch for the next stage. */
  private transport(batch: Batch): void {
    const q = this.q;
    const tag = this.tag;
    const buf = batch.buf;
    const ram = this.ram.bytes;
    const pool = this.pool;
    for (let k = 0; k < q.n; k++) {
      const i = tag[q.slot[k]];
      const a = pool.addr(q.buf[k]);
      const len = q.len[k];
      ram.copy(buf, batch.offset(i), a, a + len);
      batch.setLength(i, len);
      pool.put(q.buf[k]);
    }
  }

  describe(out: Record<string, unknown>): void {
    this.device.describe(out);
  }

  metrics(labels: Record<string, string>, out: CustomMetricSpec[]): void {
    this.device.metrics(labels, out);
  }

  // views, for tests and tools

  /** The guest's descriptor ring (native, passthrough, emulated), else null. */
  get ring(): RxDescRing | null {
    return this.guest instanceof GuestRingRx ? this.guest.ring : null;
  }

  /** The guest's receive virtqueue (virtio), else null. */
  get vq(): SplitVirtqueue | null {
    return this.guest instanceof GuestVirtioRx ? this.guest.vq : null;
  }

  /** vhost-net's side of the virtqueue (virtio), else null. */
  get vhost(): VhostBackend | null {
    return this.device instanceof VhostNetRx ? this.device.vhost : null;
  }
}
