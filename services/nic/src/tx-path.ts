// The nic element's transmit direction (direction: tx), for a stage on a VNF's egress. The batch
// that arrives is what the guest's stack hands its driver; the batch it leaves is what went out
// on the wire.
//
//   native       driver -> TX ring in host RAM -> TDT (MMIO) -> NIC DMA read -> wire
//   passthrough  driver -> TX ring in guest RAM -> TDT (MMIO) -> NIC DMA read via IOMMU -> wire
//   virtio       virtio-net -> avail ring -> kick (I/O exit, EVENT_IDX) -> vhost copy -> host NIC DMA
//   emulated     e1000 driver -> TX ring -> TDT (traps) -> QEMU e1000 copy -> host NIC DMA
//
// As on RX, a burst is handled in passes: the driver posts the whole batch and rings the
// doorbell once, the device transmits everything it owns, completions raise interrupts per
// moderation, then the guest driver runs once to clean. A frame the ring has no room for is
// dropped as tx_ring_full (the stack would find the queue stopped).

import * as core from '@vnflab/core';
import type { Batch, ElementContext } from '@vnflab/core';
import { GuestMemory, Mempool, TxDescRing, BUF_SIZE, TX_DESC_SIZE } from '@vnflab/core';
import { DirectDma, type DmaPort } from './dma';
import { GuestQueueRam } from './guest-queue-ram';
import { IOMMU_READ, type IommuDomain } from './iommu';
import { InterruptModerator } from './moderation';
import { ICR_TXDW, NicRegisters } from './registers';
import type { NicConfig } from './settings';
import { TX_FAULT, TxDevice } from './tx-device';
import { TxRingDriver } from './tx-driver';
import { VhostTxBackend, VirtioNetTxDriver, VQ_TX_FAULT } from './virtio-tx';
import { SplitVirtqueue, virtqLayout } from './virtqueue';
import { Ev } from './events';

// bound once: the package index's re-exports are getters (see backends.ts)
const { Cat, Reason, reasonCode, monoNs } = core;
const CAT_PACKET_IO = Cat.packet_io;
const CAT_COPY = Cat.copy;
const CAT_VM_EXIT = Cat.vm_exit;
const CAT_IRQ = Cat.irq;
const CAT_BUS = Cat.bus;

export const TX_RING_FULL_REASON = reasonCode('tx_ring_full');
const IOMMU_FAULT = reasonCode('iommu_fault');
const OVERSIZE_REASON = Reason.oversize;

/** Counters the element reports; the Nic passes its own totals object. */
export interface TxTotals {
  interrupts: number;
  vmExits: number;
  kicks: number;
  copies: number;
  dmas: number;
  iommuFaults: number;
  traps: number;
  doorbells: number;
  bursts: number;
  txRingFull: number;
}

export class TxPath {
  /** Descriptors posted and not yet cleaned at the end of the last batch (vnflab_ring_occupancy). */
  ringOccupancy = 0;
  readonly ram: GuestMemory;
  readonly pool: Mempool;
  readonly iommu: IommuDomain | null;
  readonly guestPort: DmaPort;
  // descriptor-ring modes (native, passthrough, emulated)
  readonly ring: TxDescRing | null = null;
  readonly regs: NicRegisters | null = null;
  readonly driver: TxRingDriver | null = null;
  /** The physical NIC (native, passthrough) or QEMU's e1000 model (emulated). */
  readonly device: TxDevice | null = null;
  readonly moderator: InterruptModerator | null = null;
  // virtio
  readonly vq: SplitVirtqueue | null = null;
  readonly virtioDriver: VirtioNetTxDriver | null = null;
  readonly vhost: VhostTxBackend | null = null;
  /** virtio/emulated: the host buffer the backend copies into, which the host NIC then DMAs out. */
  private readonly hostRam: GuestMemory | null = null;
  private readonly hostPort: DmaPort | null = null;

  /** Per-burst bookkeeping: pool buffer and batch index of each frame handed to the driver. */
  private readonly stagedBuf: Int32Array;
  private readonly stagedIdx: Int32Array;
  /** Ring slot / descriptor id -> batch index (lab bookkeeping). */
  private readonly tag: Int32Array;

  constructor(readonly config: NicConfig, readonly totals: TxTotals) {
    const cfg = config;
    const size = cfg.ringSize;
    // at most size - 1 frames in flight, all cleaned each burst; DMA_TO_DEVICE: the device
    // writes the ring (DD, used ring) but only reads the buffers
    const g = new GuestQueueRam(cfg.virtqueue ? virtqLayout(size).total : size * TX_DESC_SIZE, size, cfg.iommu, IOMMU_READ);
    const queueGpa = g.queueGpa;
    this.ram = g.ram;
    this.pool = g.pool;
    this.iommu = g.iommu;
    this.guestPort = g.guestPort;

    if (cfg.virtqueue) {
      this.vq = new SplitVirtqueue(this.ram.bytes, queueGpa, size);
      this.virtioDriver = new VirtioNetTxDriver(this.vq, this.pool, this.guestPort, cfg.eventIdx);
      this.vhost = new VhostTxBackend(this.vq, this.guestPort, cfg.eventIdx);
      this.vhost.end(); // vhost starts waiting for a kick
      this.virtioDriver.enableCb();
    } else {
      this.ring = new TxDescRing(this.ram.bytes, queueGpa, size);
      this.regs = new NicRegisters(null, cfg.registerTraps, this.ring);
      this.driver = new TxRingDriver(this.ring, this.pool, this.guestPort, this.regs);
      this.device = new TxDevice(this.ring, this.guestPort);
      this.moderator = new InterruptModerator(cfg.moderationCount, cfg.moderationUsecs);
      this.driver.open();
    }
    if (cfg.hostBackend) {
      this.hostRam = new GuestMemory(BUF_SIZE);
      this.hostPort = new DirectDma(this.hostRam);
    }
    this.stagedBuf = new Int32Array(size);
    this.stagedIdx = new Int32Array(size);
    this.tag = new Int32Array(size).fill(-1);
  }

  process(batch: Batch, ctx: ElementContext): void {
    const cfg = this.config;
    const stats = ctx.stats;
    const cpu = stats.cpu;
    const buf = batch.buf;
    const n = batch.count;
    const now = monoNs();
    const pool = this.pool;
    const ram = this.ram.bytes;
    const stagedBuf = this.stagedBuf;
    const stagedIdx = this.stagedIdx;
    const tag = this.tag;
    const faults0 = this.iommu ? this.iommu.faults : 0;
    const traps0 = this.regs ? this.regs.traps : 0;
    let ringFull = 0;
    let staged = 0;

    // the lab's transport: each frame the stack hands over lands in a guest packet buffer
    // (the guest's skb); a frame the ring has no room for never reaches the driver
    let t = cpu.begin();
    let room = this.driver ? this.driver.room : this.virtioDriver!.room;
    for (let i = 0; i < n; i++) {
      if (!batch.alive(i)) continue;
      const len = batch.length(i);
      if (len > BUF_SIZE) {
        batch.drop(i, OVERSIZE_REASON);
        continue;
      }
      const b = room > 0 ? pool.get() : -1;
      if (b < 0) {
        ringFull++;
        batch.drop(i, TX_RING_FULL_REASON);
        continue;
      }
      room--;
      const o = batch.offset(i);
      buf.copy(ram, pool.addr(b), o, o + len);
      stagedBuf[staged] = b;
      stagedIdx[staged] = i;
      staged++;
    }
    t = cpu.end(CAT_BUS, t);

    // the guest driver posts every frame and rings the doorbell once
    let kicks = 0;
    if (this.driver) {
      const drv = this.driver;
      for (let k = 0; k < staged; k++) {
        const i = stagedIdx[k];
        tag[drv.post(stagedBuf[k], batch.length(i))] = i;
      }
      if (staged > 0) drv.doorbell();
    } else {
      const drv = this.virtioDriver!;
      for (let k = 0; k < staged; k++) {
        const i = stagedIdx[k];
        tag[drv.add(stagedBuf[k], batch.length(i))] = i;
      }
      kicks = drv.publish();
    }
    t = cpu.end(CAT_PACKET_IO, t);
    let exits = 0;
    const bellTraps = this.regs ? this.regs.traps - traps0 : 0;
    if (bellTraps + kicks > 0) {
      // a trapped TDT write is a VM exit and a device-model round trip; a kick is an I/O exit
      exits += bellTraps + kicks;
      ctx.costs.spend('vm_exit', bellTraps + kicks);
      ctx.costs.spend('device_model', bellTraps);
      t = cpu.end(CAT_VM_EXIT, t);
    }

    // the device side transmits what it owns; the frame's bytes land back in the batch (the wire)
    let interrupts = 0;
    let dmas = 0;
    let copies = 0;
    let sent = 0;
    const host = this.hostRam ? this.hostRam.bytes : null;
    const hostPort = this.hostPort;
    if (this.device) {
      const dev = this.device;
      const mod = this.moderator!;
      const regs = this.regs!;
      for (let s = dev.fetch(); s >= 0; s = dev.fetch()) {
        const i = tag[s];
        tag[s] = -1;
        // emulated: QEMU copies out of guest RAM into host memory, then the host NIC DMAs it out
        const r = host ? dev.send(s, host, 0) : dev.send(s, buf, batch.offset(i));
        if (r === TX_FAULT) batch.drop(i, IOMMU_FAULT);
        else {
          sent++;
          if (host) {
            copies++;
            hostPort!.read(buf, batch.offset(i), r, 0);
          }
          dmas++;
        }
        // every DD write-back is a completion for the interrupt logic
        const g = batch.genNs(i);
        for (let k = mod.onPacket(g > 0 ? g : now); k > 0; k--) if (regs.raise(ICR_TXDW)) interrupts++;
      }
      if (mod.flush() > 0 && regs.raise(ICR_TXDW)) interrupts++;
    } else {
      const vhost = this.vhost!;
      const notified0 = vhost.notifications;
      vhost.begin();
      for (let id = vhost.next(); id >= 0; id = vhost.next()) {
        const i = tag[id];
        tag[id] = -1;
        const r = vhost.send(id, host!, 0);
        if (r < 0) batch.drop(i, r === VQ_TX_FAULT ? IOMMU_FAULT : OVERSIZE_REASON);
        else {
          sent++;
          copies++;
          hostPort!.read(buf, batch.offset(i), r, 0);
          dmas++;
        }
      }
      vhost.end();
      interrupts = vhost.notifications - notified0;
    }
    t = cpu.end(host ? CAT_COPY : CAT_PACKET_IO, t);

    // TX-completion interrupt delivery into the guest
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

    // the guest driver cleans: buffers go back to the pool
    let traps = bellTraps;
    if (interrupts > 0) {
      if (this.driver) {
        const regs = this.regs!;
        const before = regs.traps;
        for (let k = 0; k < interrupts; k++) this.driver.isr();
        this.driver.poll();
        traps += regs.traps - before;
        t = cpu.end(CAT_PACKET_IO, t);
        if (regs.traps > before) {
          exits += regs.traps - before;
          ctx.costs.spend('vm_exit', regs.traps - before);
          ctx.costs.spend('device_model', regs.traps - before);
          t = cpu.end(CAT_VM_EXIT, t);
        }
      } else {
        const d = this.virtioDriver!;
        d.disableCb();
        d.clean();
        d.enableCb();
        t = cpu.end(CAT_PACKET_IO, t);
      }
    }
    if (sent + (this.iommu ? this.iommu.faults - faults0 : 0) !== staged) throw new Error(`nic tx: ${staged} frames posted but the device completed ${sent}`);
    this.ringOccupancy = this.ring ? this.ring.inFlight : (this.vhost!.usedIndex - this.virtioDriver!.lastUsedIndex) & 0xffff;
    cpu.end(CAT_PACKET_IO, t);

    const faults = this.iommu ? this.iommu.faults - faults0 : 0;
    if (faults > 0) {
      const d = this.iommu!;
      ctx.log.warn({ stage: 'nic', direction: 'tx', faults, iova: `0x${d.lastFaultIova.toString(16)}`, write: d.lastFaultWrite }, 'IOMMU refused device DMA (DMA remapping fault); packets dropped');
    }
    if (interrupts) stats.event(Ev.interrupt, interrupts);
    if (exits) stats.event(Ev.vm_exit, exits);
    if (kicks) stats.event(Ev.kick, kicks);
    if (copies) stats.event(Ev.copy, copies);
    if (dmas) stats.event(Ev.dma, dmas);
    if (faults) stats.event(Ev.iommu_fault, faults);
    const T = this.totals;
    T.interrupts += interrupts;
    T.vmExits += exits;
    T.kicks += kicks;
    T.copies += copies;
    T.dmas += dmas;
    T.iommuFaults += faults;
    T.traps += traps;
    T.doorbells += this.driver ? (staged > 0 ? 1 : 0) : 0;
    T.bursts++;
    T.txRingFull += ringFull;
  }
}
