// The host's own NIC under virtio and emulated RX: it receives the wire's frames into host RAM
// through an ixgbe-style descriptor ring, and the host driver harvests them for the software
// backend (vhost-net, or QEMU's e1000 model) to copy into the guest. It is the host driver's
// ring, so its doorbell is a plain MMIO write: no exit.

import type { Batch } from '@vnflab/core';
import { GuestMemory, Mempool, RxDescRing, PAGE_SIZE, BUF_SIZE, RX_DESC_SIZE, Reason } from '@vnflab/core';
import type { BurstCounts } from './burst';
import { DirectDma } from './dma';
import { roundPage } from './guest-queue-ram';
import { HarvestQueue } from './harvest-queue';
import { RX_MISSED_REASON } from './reasons';
import { NicRegisters, REG_RDT } from './registers';
import { RingDriver } from './ring-driver';
import { RX_MISSED, RxDevice } from './rx-device';
import { DEFAULT_RING_SIZE } from './settings';

const OVERSIZE_REASON = Reason.oversize;

export class HostNicRx {
  readonly ram: GuestMemory;
  readonly pool: Mempool;
  readonly ring: RxDescRing;
  readonly regs: NicRegisters;
  readonly driver: RingDriver;
  readonly nic: RxDevice;
  /** What the host driver harvested this burst. */
  readonly q: HarvestQueue;
  /** Host ring slot -> index of the frame in the batch. */
  readonly tag: Int32Array;

  /** `guestRingSize`: the guest's queue; the host ring is at least ixgbe's default 512. */
  constructor(guestRingSize: number) {
    const hsize = Math.max(guestRingSize, DEFAULT_RING_SIZE);
    const poolCount = 2 * hsize;
    this.ram = new GuestMemory(roundPage(hsize * RX_DESC_SIZE) + poolCount * BUF_SIZE);
    const ringGpa = this.ram.carve(roundPage(hsize * RX_DESC_SIZE), PAGE_SIZE);
    this.pool = new Mempool(this.ram, poolCount, BUF_SIZE);
    this.ring = new RxDescRing(this.ram.bytes, ringGpa, hsize);
    const port = new DirectDma(this.ram);
    this.regs = new NicRegisters(this.ring, false);
    this.driver = new RingDriver(this.ring, this.pool, port, this.regs);
    this.driver.open();
    this.nic = new RxDevice(this.ring, port, BUF_SIZE);
    this.q = new HarvestQueue(hsize);
    this.tag = new Int32Array(hsize).fill(-1);
  }

  /** The NIC DMAs the burst's live frames into host buffers and the host driver harvests them into `q`; adds dmas and missed to `b`. */
  receive(batch: Batch, b: BurstCounts): void {
    const nic = this.nic;
    const tag = this.tag;
    const buf = batch.buf;
    const n = batch.count;
    let dmas = 0;
    let missed = 0;
    this.q.reset();
    for (let i = 0; i < n; i++) {
      if (!batch.alive(i)) continue;
      const s = nic.rx(buf, batch.offset(i), batch.length(i));
      if (s >= 0) {
        tag[s] = i;
        dmas++;
      } else if (s === RX_MISSED) {
        missed++;
        batch.drop(i, RX_MISSED_REASON);
      } else {
        batch.drop(i, OVERSIZE_REASON);
      }
    }
    this.driver.harvest(this.q);
    b.dmas += dmas;
    b.missed += missed;
  }

  /** The backend is done with the harvested buffers: the host driver refills its ring and rings its own doorbell. */
  refill(): void {
    this.driver.refill();
    this.regs.write(REG_RDT, this.ring.nextToUse);
  }
}
