// The nic element: the batch that arrives is the packets on the wire; the element is the NIC
// plus the hypervisor's I/O path; the batch it leaves is what the guest driver harvested.
//
//   native       wire -> NIC DMA -> host RAM ring -> driver                    (no hypervisor)
//   passthrough  wire -> NIC DMA -> IOMMU -> guest RAM ring -> guest driver    (VT-d/SR-IOV)
//   virtio       wire -> NIC DMA -> host ring -> vhost copy -> virtqueue -> guest virtio-net
//   emulated     wire -> NIC DMA -> host ring -> QEMU e1000 copy -> guest e1000 ring -> driver
//                (every driver register access traps)
//
// A burst arrives back to back, faster than the guest reacts: the device side handles the whole
// burst, then the guest driver runs once for the interrupts it got (interrupt service routine per
// interrupt, one NAPI poll). Modelled costs (VM exits, device-model round trips, interrupt
// delivery) are spent where the mechanism counted them, and every pass is measured and billed.

import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, Element, ElementContext } from '@vnflab/core';
import { GuestMemory, Mempool, RxDescRing, PAGE_SIZE, BUF_SIZE, RX_DESC_SIZE } from '@vnflab/core';
import { DirectDma, type DmaPort } from './dma';
import { GuestQueueRam, roundPage } from './guest-queue-ram';
import { HarvestQueue } from './harvest-queue';
import { IOMMU_READ, IOMMU_WRITE, type IommuDomain } from './iommu';
import { InterruptModerator } from './moderation';
import { ICR_RXT0, NicRegisters, REG_RDT } from './registers';
import { RingDriver } from './ring-driver';
import { RX_FAULT, RX_MISSED, RxDevice } from './rx-device';
import { DEFAULT_RING_SIZE, resolveNicConfig, type NicConfig } from './settings';
import { TxPath } from './tx-path';
import { VQ_FAULT, VQ_NO_BUFFER, VhostBackend } from './vhost-backend';
import type { VhostQueue } from './vhost-queue';
import { VirtioNetRxDriver } from './virtio-driver';
import { SplitVirtqueue, virtqLayout } from './virtqueue';
import type { VirtqueueDriver } from './virtqueue-driver';
import { Ev } from './events';

// bound once: the package index's re-exports are getters (see backends.ts)
const { Cat, Reason, reasonCode, monoNs } = core;
const CAT_PACKET_IO = Cat.packet_io;
const CAT_COPY = Cat.copy;
const CAT_VM_EXIT = Cat.vm_exit;
const CAT_IRQ = Cat.irq;
const CAT_BUS = Cat.bus;

export const RX_MISSED_REASON = reasonCode('rx_missed');
export const IOMMU_FAULT_REASON = reasonCode('iommu_fault');
const OVERSIZE_REASON = Reason.oversize;

export { IOVA_BASE, GUEST_RAM_PAD } from './guest-queue-ram';

/** A virtqueue's indices and both sides' notification counts, as describe() shows them (RX or TX). */
function describeVirtqueue(vq: SplitVirtqueue, vhost: VhostQueue, driver: VirtqueueDriver): Record<string, number> {
  return {
    avail_idx: vq.availIdx,
    used_idx: vq.usedIdx,
    used_event: vq.usedEvent,
    avail_event: vq.availEvent,
    notifications: vhost.notifications,
    notifications_suppressed: vhost.suppressed,
    kicks: driver.kicks,
    kicks_suppressed: driver.kicksSuppressed,
  };
}

/** The host's side of virtio/emulated: a physical NIC receiving into host RAM. */
interface HostSide {
  ram: GuestMemory;
  pool: Mempool;
  ring: RxDescRing;
  regs: NicRegisters;
  driver: RingDriver;
  nic: RxDevice;
  q: HarvestQueue;
  tag: Int32Array;
}

export class Nic implements Element {
  readonly stage = 'nic';
  readonly variant: string;
  readonly config: NicConfig;
  /** The guest's RAM (native: the host's). */
  readonly ram: GuestMemory;
  readonly pool: Mempool;
  /** The device's IOMMU domain, when one translates (passthrough, or a vIOMMU). */
  readonly iommu: IommuDomain | null;
  /** What device DMA (or the backend's copy) into guest RAM goes through. */
  readonly guestPort: DmaPort;
  // descriptor-ring modes (native, passthrough, emulated)
  readonly ring: RxDescRing | null = null;
  readonly regs: NicRegisters | null = null;
  readonly driver: RingDriver | null = null;
  /** The physical NIC (native, passthrough) or QEMU's e1000 model (emulated). */
  readonly device: RxDevice | null = null;
  readonly moderator: InterruptModerator | null = null;
  // virtio
  readonly vq: SplitVirtqueue | null = null;
  readonly virtioDriver: VirtioNetRxDriver | null = null;
  readonly vhost: VhostBackend | null = null;
  readonly host: HostSide | null = null;
  /** direction tx: the transmit path (TX ring or transmit virtqueue); process() delegates to it. */
  readonly tx: TxPath | null = null;
  /** Descriptors in use at the end of the last batch (vnflab_ring_occupancy). */
  ringOccupancy = 0;

  private readonly q: HarvestQueue;
  /** Ring slot / descriptor id -> index of the packet in the current batch (lab bookkeeping). */
  private readonly tag: Int32Array;

  // totals, for describe() and metrics
  readonly totals = { interrupts: 0, vmExits: 0, kicks: 0, copies: 0, dmas: 0, rxMissed: 0, iommuFaults: 0, traps: 0, doorbells: 0, bursts: 0, txRingFull: 0 };

  constructor(mode: string, settings: Record<string, unknown> = {}) {
    const cfg = resolveNicConfig(mode, settings);
    this.config = cfg;
    this.variant = cfg.mode;
    if (cfg.direction === 'tx') this.tx = new TxPath(cfg, this.totals);
    const size = cfg.ringSize;
    // a ring's worth of buffers posted plus a ring's worth held until write-back; the device
    // writes received frames into them, so the IOMMU maps them read/write
    const g = new GuestQueueRam(cfg.virtqueue ? virtqLayout(size).total : size * RX_DESC_SIZE, 2 * size, cfg.iommu, IOMMU_READ | IOMMU_WRITE);
    const queueGpa = g.queueGpa;
    this.ram = g.ram;
    this.pool = g.pool;
    this.iommu = g.iommu;
    this.guestPort = g.guestPort;

    this.q = new HarvestQueue(size);
    this.tag = new Int32Array(size).fill(-1);

    if (cfg.virtqueue) {
      this.vq = new SplitVirtqueue(this.ram.bytes, queueGpa, size);
      this.vhost = new VhostBackend(this.vq, this.guestPort, cfg.eventIdx);
      this.virtioDriver = new VirtioNetRxDriver(this.vq, this.pool, this.guestPort, cfg.eventIdx);
      this.virtioDriver.refill(); // driver start-up fills the queue and kicks once
      this.virtioDriver.enableCb();
    } else {
      this.ring = new RxDescRing(this.ram.bytes, queueGpa, size);
      this.regs = new NicRegisters(this.ring, cfg.registerTraps);
      this.driver = new RingDriver(this.ring, this.pool, this.guestPort, this.regs);
      this.device = new RxDevice(this.ring, this.guestPort, BUF_SIZE);
      this.moderator = new InterruptModerator(cfg.moderationCount, cfg.moderationUsecs);
      this.driver.open();
    }

    if (cfg.hostBackend) {
      // the host's own NIC ring is the host driver's business: at least ixgbe's default 512
      const hsize = Math.max(size, DEFAULT_RING_SIZE);
      const hostPool = 2 * hsize;
      const ram = new GuestMemory(roundPage(hsize * RX_DESC_SIZE) + hostPool * BUF_SIZE);
      const ringGpa = ram.carve(roundPage(hsize * RX_DESC_SIZE), PAGE_SIZE);
      const pool = new Mempool(ram, hostPool, BUF_SIZE);
      const ring = new RxDescRing(ram.bytes, ringGpa, hsize);
      const port = new DirectDma(ram);
      const regs = new NicRegisters(ring, false);
      const driver = new RingDriver(ring, pool, port, regs);
      driver.open();
      this.host = { ram, pool, ring, regs, driver, nic: new RxDevice(ring, port, BUF_SIZE), q: new HarvestQueue(hsize), tag: new Int32Array(hsize).fill(-1) };
    }
  }

  process(batch: Batch, ctx: ElementContext): void {
    if (this.tx) {
      this.tx.process(batch, ctx);
      return;
    }
    const cfg = this.config;
    const stats = ctx.stats;
    const cpu = stats.cpu;
    const buf = batch.buf;
    const n = batch.count;
    const now = monoNs();
    const q = this.q;
    const tag = this.tag;
    q.reset();
    const faults0 = this.iommu ? this.iommu.faults : 0;
    let accepted = 0;
    let interrupts = 0;
    let dmas = 0;
    let copies = 0;
    let missed = 0;

    let t = cpu.begin();
    if (!this.host) {
      // the NIC DMAs each frame straight into the driver's buffers (through the IOMMU if any)
      const dev = this.device!;
      const received0 = dev.received;
      const missed0 = dev.missed;
      for (let i = 0; i < n; i++) {
        if (batch.alive(i)) interrupts += this.deviceRx(batch, i, buf, batch.offset(i), batch.length(i), now);
      }
      interrupts += this.wireIdle();
      accepted = dev.received - received0;
      dmas = accepted;
      missed = dev.missed - missed0;
      t = cpu.end(CAT_PACKET_IO, t);
    } else {
      const h = this.host;
      // the physical NIC receives into host RAM; the host driver harvests its ring
      h.q.reset();
      for (let i = 0; i < n; i++) {
        if (!batch.alive(i)) continue;
        const s = h.nic.rx(buf, batch.offset(i), batch.length(i));
        if (s >= 0) {
          h.tag[s] = i;
          dmas++;
        } else if (s === RX_MISSED) {
          missed++;
          batch.drop(i, RX_MISSED_REASON);
        } else {
          batch.drop(i, OVERSIZE_REASON);
        }
      }
      h.driver.harvest(h.q);
      t = cpu.end(CAT_PACKET_IO, t);

      // the backend copies each packet from host RAM into a guest buffer
      const hq = h.q;
      const hostBytes = h.ram.bytes;
      if (this.vhost) {
        const vhost = this.vhost;
        const notified0 = vhost.notifications;
        vhost.begin();
        for (let k = 0; k < hq.n; k++) {
          const i = h.tag[hq.slot[k]];
          const b = hq.buf[k];
          const id = vhost.rx(hostBytes, h.pool.addr(b), hq.len[k]);
          h.pool.put(b);
          if (id >= 0) {
            tag[id] = i;
            accepted++;
            copies++;
          } else if (id === VQ_NO_BUFFER) {
            missed++;
            batch.drop(i, RX_MISSED_REASON);
          } else {
            batch.drop(i, id === VQ_FAULT ? IOMMU_FAULT_REASON : OVERSIZE_REASON);
          }
        }
        interrupts = vhost.notifications - notified0;
      } else {
        // QEMU's e1000 model is the same receive engine, copying out of host RAM instead
        const dev = this.device!;
        const received0 = dev.received;
        const missed0 = dev.missed;
        for (let k = 0; k < hq.n; k++) {
          const b = hq.buf[k];
          interrupts += this.deviceRx(batch, h.tag[hq.slot[k]], hostBytes, h.pool.addr(b), hq.len[k], now);
          h.pool.put(b);
        }
        interrupts += this.wireIdle();
        accepted = dev.received - received0;
        copies = accepted;
        missed += dev.missed - missed0;
      }
      // the host driver refills its ring: its own MMIO doorbell, no exit
      h.driver.refill();
      h.regs.write(REG_RDT, h.ring.nextToUse);
      t = cpu.end(CAT_COPY, t);
    }
    this.ringOccupancy = this.ring ? this.ring.completed : (this.vhost!.usedIndex - this.virtioDriver!.lastUsedIndex) & 0xffff;

    // interrupt delivery into the guest
    let exits = 0;
    if (interrupts > 0) {
      if (cfg.irqDelivery === 'exit') {
        exits += interrupts;
        ctx.costs.spend('vm_exit', interrupts);
        t = cpu.end(CAT_VM_EXIT, t);
      } else if (cfg.irqDelivery === 'posted') {
        ctx.costs.spend('posted_interrupt', interrupts);
        t = cpu.end(CAT_IRQ, t);
      }
    }

    // the guest driver runs for the interrupts it got
    let kicks = 0;
    let traps = 0;
    if (interrupts > 0) {
      if (this.driver) {
        const regs = this.regs!;
        const traps0 = regs.traps;
        const bells0 = regs.doorbells;
        for (let k = 0; k < interrupts; k++) this.driver.isr();
        this.driver.poll(q);
        traps = regs.traps - traps0;
        this.totals.doorbells += regs.doorbells - bells0;
      } else {
        const d = this.virtioDriver!;
        d.disableCb();
        d.harvest(q);
        kicks = d.refill();
        d.enableCb();
      }
      t = cpu.end(CAT_PACKET_IO, t);
    }
    if (traps + kicks > 0) {
      // a trapped register access is a VM exit and a trip to the device model; a kick is an I/O exit
      exits += traps + kicks;
      ctx.costs.spend('vm_exit', traps + kicks);
      ctx.costs.spend('device_model', traps);
      t = cpu.end(CAT_VM_EXIT, t);
    }

    if (q.n !== accepted) throw new Error(`nic: ${accepted} packets reached guest buffers but the driver harvested ${q.n}`);
    // the lab's transport: the harvested bytes go back into the batch for the next stage
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
    cpu.end(CAT_BUS, t);

    const faults = this.iommu ? this.iommu.faults - faults0 : 0;
    if (faults > 0) {
      const d = this.iommu!;
      ctx.log.warn({ stage: 'nic', faults, iova: `0x${d.lastFaultIova.toString(16)}`, write: d.lastFaultWrite }, 'IOMMU refused device DMA (DMA remapping fault); packets dropped');
    }
    if (interrupts) stats.event(Ev.interrupt, interrupts);
    if (exits) stats.event(Ev.vm_exit, exits);
    if (kicks) stats.event(Ev.kick, kicks);
    if (copies) stats.event(Ev.copy, copies);
    if (dmas) stats.event(Ev.dma, dmas);
    if (missed) stats.event(Ev.rx_missed, missed);
    if (faults) stats.event(Ev.iommu_fault, faults);
    const T = this.totals;
    T.interrupts += interrupts;
    T.vmExits += exits;
    T.kicks += kicks;
    T.copies += copies;
    T.dmas += dmas;
    T.rxMissed += missed;
    T.iommuFaults += faults;
    T.traps += traps;
    T.bursts++;
  }

  /**
   * The guest-facing receive engine (the physical NIC, or QEMU's e1000 model) takes frame `i` of
   * the batch, `len` bytes of `src` at `off`, into the guest ring. Its counters (received,
   * missed) say what happened; returns the interrupts raised. Per packet: no allocation.
   */
  private deviceRx(batch: Batch, i: number, src: Buffer, off: number, len: number, now: number): number {
    const s = this.device!.rx(src, off, len);
    if (s >= 0) this.tag[s] = i;
    else if (s === RX_MISSED) {
      // nothing was written back: no receive event
      batch.drop(i, RX_MISSED_REASON);
      return 0;
    } else batch.drop(i, s === RX_FAULT ? IOMMU_FAULT_REASON : OVERSIZE_REASON);
    // every descriptor write-back is a receive event for the interrupt logic
    const g = batch.genNs(i);
    const regs = this.regs!;
    let interrupts = 0;
    for (let k = this.moderator!.onPacket(g > 0 ? g : now); k > 0; k--) if (regs.raise(ICR_RXT0)) interrupts++;
    return interrupts;
  }

  /** The burst is over and the wire goes idle: a pending moderated interrupt fires. Returns 1 if one was raised unmasked. */
  private wireIdle(): number {
    return this.moderator!.flush() > 0 && this.regs!.raise(ICR_RXT0) ? 1 : 0;
  }

  describe(): Record<string, unknown> {
    const c = this.config;
    const out: Record<string, unknown> = {
      mode: c.mode,
      direction: c.direction,
      ring_size: c.ringSize,
      iommu: c.iommu,
      interrupt_delivery: c.irqDelivery,
      register_traps: c.registerTraps,
      host_backend: c.hostBackend,
      pool_in_use: (this.tx ? this.tx.pool : this.pool).inUse,
      ...Object.fromEntries(Object.entries(this.totals).map(([k, v]) => [k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`), v])),
    };
    if (this.tx) {
      const tx = this.tx;
      out.irq_moderation = c.virtqueue ? undefined : { count: c.moderationCount, usecs: c.moderationUsecs };
      if (tx.vq) {
        out.event_idx = c.eventIdx;
        out.virtqueue = describeVirtqueue(tx.vq, tx.vhost!, tx.virtioDriver!);
      }
      return out;
    }
    if (this.moderator) out.irq_moderation = { count: c.moderationCount, usecs: c.moderationUsecs };
    if (this.vq) {
      out.event_idx = c.eventIdx;
      out.virtqueue = describeVirtqueue(this.vq, this.vhost!, this.virtioDriver!);
    }
    return out;
  }

  metrics(): CustomMetricSpec[] {
    const l = { stage: 'nic', variant: this.variant };
    const out: CustomMetricSpec[] = [
      { name: 'vnflab_iommu_faults_total', help: 'Device DMAs the IOMMU refused (unmapped or read-only page); each packet dropped', type: 'counter', samples: [{ labels: l, value: this.totals.iommuFaults }] },
      { name: 'vnflab_nic_doorbells_total', help: 'Tail register writes by the driver (RDT; TDT with direction tx)', type: 'counter', samples: [{ labels: l, value: this.totals.doorbells }] },
      { name: 'vnflab_ring_occupancy', help: 'Descriptors in use in the stage ring', type: 'gauge', samples: [{ labels: l, value: this.tx ? this.tx.ringOccupancy : this.ringOccupancy }] },
      { name: 'vnflab_nic_register_traps_total', help: 'Driver register accesses that trapped to the device model (emulated NIC)', type: 'counter', samples: [{ labels: l, value: this.totals.traps }] },
    ];
    if (this.vhost && !this.tx) {
      out.push({
        name: 'vnflab_nic_notifications_suppressed_total',
        help: 'virtio notifications not sent: interrupts suppressed by used_event/NO_INTERRUPT, kicks by avail_event/NO_NOTIFY',
        type: 'counter',
        samples: [
          { labels: { ...l, kind: 'interrupt' }, value: this.vhost.suppressed },
          { labels: { ...l, kind: 'kick' }, value: this.virtioDriver!.kicksSuppressed },
        ],
      });
    }
    return out;
  }
}
