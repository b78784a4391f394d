// The nic element: the NIC plus the hypervisor's I/O path, in the direction chosen at creation -
// receive (rx-path.ts: the wire into the guest, a VNF's ingress), transmit (tx-path.ts: the
// guest onto the wire, its egress), or both in a closed-loop chain: receive on the way in and
// transmit what the guest sends back (a server's answers), each with its own queue. Each direction builds its mode (native, passthrough,
// virtio, emulated) as a device side and a guest side once; this file holds what both share:
// the settings, the totals, describe() and the metrics.

import {
  RING_OCCUPANCY_METRIC,
  type Batch,
  type CustomMetricSpec,
  type Element,
  type ElementContext,
  type GuestMemory,
  type Mempool,
  type RxDescRing,
} from '@vnflab/core';
import { newNicTotals, type NicTotals } from './burst';
import type { DmaPort } from './dma';
import type { IommuDomain } from './iommu';
import { RxPath } from './rx-path';
import { resolveNicConfig, type NicConfig } from './settings';
import { TxPath } from './tx-path';
import type { VhostBackend } from './vhost-backend';
import type { SplitVirtqueue } from './virtqueue';

export { RX_MISSED_REASON, IOMMU_FAULT_REASON } from './reasons';
export { IOVA_BASE, GUEST_RAM_PAD } from './guest-queue-ram';

export class Nic implements Element {
  readonly stage = 'nic';
  readonly variant: string;
  readonly config: NicConfig;
  // totals, for describe() and metrics
  readonly totals: NicTotals = newNicTotals();
  /** The direction's path, chosen once from settings.direction (both: the receive path). */
  readonly path: RxPath | TxPath;
  /** direction both: the transmit path for batches on their way back, with its own totals. */
  readonly returnPath: TxPath | null;
  readonly returnTotals: NicTotals | null;

  constructor(mode: string, settings: Record<string, unknown> = {}) {
    const cfg = resolveNicConfig(mode, settings);
    this.config = cfg;
    this.variant = cfg.mode;
    this.path = cfg.direction === 'tx' ? new TxPath(cfg, this.totals) : new RxPath(cfg, this.totals);
    this.returnTotals = cfg.direction === 'both' ? newNicTotals() : null;
    this.returnPath = this.returnTotals ? new TxPath(cfg, this.returnTotals) : null;
  }

  process(batch: Batch, ctx: ElementContext): void {
    this.path.process(batch, ctx);
  }

  /** A closed-loop chain's way back: direction both transmits it; otherwise it passes untouched. */
  processReturn(batch: Batch, ctx: ElementContext): void {
    this.returnPath?.process(batch, ctx);
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
      pool_in_use: this.path.pool.inUse,
      ...Object.fromEntries(
        Object.entries(this.totals).map(([k, v]) => [k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`), v]),
      ),
    };
    this.path.describe(out);
    if (this.returnPath && this.returnTotals) {
      const tx: Record<string, unknown> = {
        pool_in_use: this.returnPath.pool.inUse,
        ...Object.fromEntries(
          Object.entries(this.returnTotals).map(([k, v]) => [k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`), v]),
        ),
      };
      this.returnPath.describe(tx);
      out.tx = tx;
    }
    return out;
  }

  metrics(): CustomMetricSpec[] {
    const l = { stage: 'nic', variant: this.variant };
    const out: CustomMetricSpec[] = [
      {
        name: 'vnflab_iommu_faults_total',
        help: 'Device DMAs the IOMMU refused (unmapped or read-only page); each packet dropped',
        type: 'counter',
        samples: [{ labels: l, value: this.totals.iommuFaults }],
      },
      {
        name: 'vnflab_nic_doorbells_total',
        help: 'Tail register writes by the driver (RDT; TDT with direction tx)',
        type: 'counter',
        samples: [{ labels: l, value: this.totals.doorbells }],
      },
      { ...RING_OCCUPANCY_METRIC, samples: [{ labels: l, value: this.path.occupancy }] },
      {
        name: 'vnflab_nic_register_traps_total',
        help: 'Driver register accesses that trapped to the device model (emulated NIC)',
        type: 'counter',
        samples: [{ labels: l, value: this.totals.traps }],
      },
    ];
    this.path.metrics(l, out);
    return out;
  }

  // views, for tests and tools

  /** direction rx: the receive path, else null. */
  get rx(): RxPath | null {
    return this.path instanceof RxPath ? this.path : null;
  }

  /** direction tx: the transmit path (TX ring or transmit virtqueue), else null. */
  get tx(): TxPath | null {
    return this.path instanceof TxPath ? this.path : null;
  }

  /** The guest's RAM behind this direction's queue (native: the host's). */
  get ram(): GuestMemory {
    return this.path.ram;
  }

  get pool(): Mempool {
    return this.path.pool;
  }

  /** The device's IOMMU domain, when one translates (passthrough, or a vIOMMU). */
  get iommu(): IommuDomain | null {
    return this.path.iommu;
  }

  /** What device DMA (or the backend's copy) into and out of guest RAM goes through. */
  get guestPort(): DmaPort {
    return this.path.guestPort;
  }

  /** direction rx: the guest's RX descriptor ring (native, passthrough, emulated), else null. */
  get ring(): RxDescRing | null {
    return this.rx?.ring ?? null;
  }

  /** direction rx: the guest's receive virtqueue (virtio), else null. */
  get vq(): SplitVirtqueue | null {
    return this.rx?.vq ?? null;
  }

  /** direction rx: vhost-net's side of the receive virtqueue (virtio), else null. */
  get vhost(): VhostBackend | null {
    return this.rx?.vhost ?? null;
  }
}
