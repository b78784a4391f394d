// The nic element's transmit direction (direction: tx), for a stage on a VNF's egress. The batch
// that arrives is what the guest's stack hands its driver; the batch it leaves is what went out
// on the wire.
//
//   native       driver -> TX ring in host RAM -> TDT (MMIO) -> NIC DMA read -> wire
//   passthrough  driver -> TX ring in guest RAM -> TDT (MMIO) -> NIC DMA read via IOMMU -> wire
//   virtio       virtio-net -> avail ring -> kick (I/O exit, EVENT_IDX) -> vhost copy -> host NIC DMA
//   emulated     e1000 driver -> TX ring -> TDT (traps) -> QEMU e1000 copy -> host NIC DMA
//
// A mode is a guest side and a device side (sides.ts) chosen once here. As on RX, a burst is
// handled in passes, each measured and billed:
//
//   frames into guest packet buffers (bus) -> the driver posts them, one doorbell or kick
//   (packet_io) -> its exits (vm_exit; the device model's trips: host) -> the device transmits
//   what it owns, completions raise interrupts (packet_io; a backend's copy and the host NIC:
//   host) -> interrupt delivery (irq, vm_exit) -> the driver cleans (packet_io) -> its exits
//
// A frame the ring has no room for is dropped as tx_ring_full (the stack would find the queue
// stopped).

import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, ElementContext, GuestMemory, Mempool } from '@vnflab/core';
import { TX_DESC_SIZE } from '@vnflab/core';
import { BurstCounts, type NicTotals } from './burst';
import type { DmaPort } from './dma';
import { GuestQueueRam } from './guest-queue-ram';
import { billGuestExits } from './guest-exits';
import { HostNicTx } from './host-nic-tx';
import { IOMMU_READ, type IommuDomain } from './iommu';
import { createInterruptDelivery, type InterruptDelivery } from './irq-delivery';
import { TX_RING_FULL_REASON } from './reasons';
import type { NicRegisters } from './registers';
import type { NicConfig } from './settings';
import type { TxDeviceSide, TxGuestSide } from './sides';
import { E1000ModelTx } from './tx-e1000-model';
import { GuestRingTx } from './tx-guest-ring';
import { GuestVirtioTx } from './tx-guest-virtio';
import { NicDmaTx } from './tx-nic-dma';
import { VhostNetTx } from './tx-vhost-net';
import type { VirtioNetTxDriver } from './virtio-tx';
import { virtqLayout } from './virtqueue';

export { TX_RING_FULL_REASON } from './reasons';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { Cat, Reason, monoNs, BUF_SIZE } = core;
const CAT_PACKET_IO = Cat.packet_io;
const CAT_BUS = Cat.bus;
const OVERSIZE_REASON = Reason.oversize;

export class TxPath {
  /** Descriptors posted and not yet cleaned after the last burst (vnflab_ring_occupancy). */
  occupancy = 0;
  readonly ram: GuestMemory;
  readonly pool: Mempool;
  readonly iommu: IommuDomain | null;
  readonly guestPort: DmaPort;
  readonly guest: TxGuestSide;
  readonly device: TxDeviceSide;
  private readonly delivery: InterruptDelivery;
  /** Per-burst bookkeeping: pool buffer and batch index of each frame handed to the driver. */
  private readonly stagedBuf: Int32Array;
  private readonly stagedIdx: Int32Array;
  /** Ring slot / descriptor id -> batch index (lab bookkeeping). */
  private readonly tag: Int32Array;
  private readonly burst = new BurstCounts();

  constructor(
    readonly config: NicConfig,
    readonly totals: NicTotals,
  ) {
    const cfg = config;
    const size = cfg.ringSize;
    // at most size - 1 frames in flight, all cleaned each burst; DMA_TO_DEVICE: the device
    // writes the ring (DD, used ring) but only reads the buffers
    const g = new GuestQueueRam(
      cfg.virtqueue ? virtqLayout(size).total : size * TX_DESC_SIZE,
      size,
      cfg.iommu,
      IOMMU_READ,
    );
    this.ram = g.ram;
    this.pool = g.pool;
    this.iommu = g.iommu;
    this.guestPort = g.guestPort;
    this.stagedBuf = new Int32Array(size);
    this.stagedIdx = new Int32Array(size);
    this.tag = new Int32Array(size).fill(-1);
    this.delivery = createInterruptDelivery(cfg.irqDelivery);

    if (cfg.virtqueue) {
      const guest = new GuestVirtioTx(g, size, cfg.eventIdx, this.tag);
      this.guest = guest;
      this.device = new VhostNetTx(guest, g.guestPort, this.tag, new HostNicTx());
    } else {
      const guest = new GuestRingTx(g, size, cfg.registerTraps, this.tag);
      this.guest = guest;
      this.device = cfg.hostBackend
        ? new E1000ModelTx(guest, g.guestPort, this.tag, cfg.moderationCount, cfg.moderationUsecs, new HostNicTx())
        : new NicDmaTx(guest, g.guestPort, this.tag, cfg.moderationCount, cfg.moderationUsecs);
    }
  }

  process(batch: Batch, ctx: ElementContext): void {
    const stats = ctx.stats;
    const cpu = stats.cpu;
    const b = this.burst;
    const guest = this.guest;
    const iommu = this.iommu;
    const now = monoNs();
    b.reset();
    const faults0 = iommu ? iommu.faults : 0;

    // the lab's transport: each frame the stack hands over lands in a guest packet buffer
    let t = cpu.begin();
    const staged = this.transport(batch, b);
    t = cpu.end(CAT_BUS, t);

    // the guest driver posts every frame and notifies the device once (doorbell or kick)
    guest.post(batch, this.stagedBuf, this.stagedIdx, staged, b);
    t = cpu.end(CAT_PACKET_IO, t);
    t = billGuestExits(b.traps, b.kicks, ctx, t, b);

    // the device side transmits what it owns; completions raise interrupts
    t = this.device.transmit(batch, now, ctx, t, b);

    const interrupts = b.interrupts;
    if (interrupts > 0) {
      // TX-completion interrupt delivery into the guest, then the guest driver cleans
      t = this.delivery.deliver(interrupts, ctx, t, b);
      const traps0 = b.traps;
      guest.clean(interrupts, b);
      t = cpu.end(CAT_PACKET_IO, t);
      t = billGuestExits(b.traps - traps0, 0, ctx, t, b);
    }

    const faults = iommu ? iommu.faults - faults0 : 0;
    if (b.delivered + faults !== staged)
      throw new Error(`nic tx: ${staged} frames posted but the device completed ${b.delivered}`);
    this.occupancy = guest.occupancy;
    cpu.end(CAT_PACKET_IO, t);

    if (faults > 0 && iommu) {
      ctx.log.warn(
        {
          stage: 'nic',
          direction: 'tx',
          faults,
          iova: `0x${iommu.lastFaultIova.toString(16)}`,
          write: iommu.lastFaultWrite,
        },
        'IOMMU refused device DMA (DMA remapping fault); packets dropped',
      );
    }
    b.report(stats, this.totals, faults);
  }

  /**
   * Copies each live frame into a pool buffer (the guest's skb) and stages it for the driver; a
   * frame the queue has no room for never reaches the driver. Returns the frames staged.
   */
  private transport(batch: Batch, b: BurstCounts): number {
    const buf = batch.buf;
    const n = batch.count;
    const pool = this.pool;
    const ram = this.ram.bytes;
    const stagedBuf = this.stagedBuf;
    const stagedIdx = this.stagedIdx;
    let room = this.guest.room;
    let staged = 0;
    let ringFull = 0;
    for (let i = 0; i < n; i++) {
      if (!batch.alive(i)) continue;
      const len = batch.length(i);
      if (len > BUF_SIZE) {
        batch.drop(i, OVERSIZE_REASON);
        continue;
      }
      const pb = room > 0 ? pool.get() : -1;
      if (pb < 0) {
        ringFull++;
        batch.drop(i, TX_RING_FULL_REASON);
        continue;
      }
      room--;
      const o = batch.offset(i);
      buf.copy(ram, pool.addr(pb), o, o + len);
      stagedBuf[staged] = pb;
      stagedIdx[staged] = i;
      staged++;
    }
    b.ringFull += ringFull;
    return staged;
  }

  describe(out: Record<string, unknown>): void {
    this.device.describe(out);
  }

  metrics(_labels: Record<string, string>, _out: CustomMetricSpec[]): void {}

  // views, for tests and tools

  /** The NIC's register file as the guest driver reaches it (descriptor-ring modes), else null. */
  get regs(): NicRegisters | null {
    return this.guest instanceof GuestRingTx ? this.guest.regs : null;
  }

  /** The guest's virtio-net transmit driver (virtio), else null. */
  get virtioDriver(): VirtioNetTxDriver | null {
    return this.guest instanceof GuestVirtioTx ? this.guest.driver : null;
  }
}
