// What the nic's settings cost in memory, for the budget checked before a chain is built
// (packages/core/src/chain/memory-budget.ts): the guest RAM behind its queue (ring or
// virtqueue, packet buffers, the padding around them), the IOMMU domain's page tables, and the
// host NIC's ring and buffers behind a software backend. The same sizes rx-path.ts, tx-path.ts,
// guest-queue-ram.ts and host-nic-rx.ts allocate, computed without allocating.

import { BUF_SIZE, PAGE_SIZE, RX_DESC_SIZE, TX_DESC_SIZE, type MemoryUse } from '@vnflab/core';
import { GUEST_RAM_PAD, roundPage } from './guest-queue-ram';
import { DEFAULT_RING_SIZE, resolveNicConfig, type NicConfig } from './settings';
import { virtqLayout } from './virtqueue';

export function nicMemory(variant: string, settings: Record<string, unknown>): MemoryUse[] {
  const cfg = resolveNicConfig(variant, settings);
  // both directions: a receive queue and a transmit queue, each as large as one alone
  const dirs: ('rx' | 'tx')[] = cfg.direction === 'both' ? ['rx', 'tx'] : [cfg.direction];
  return dirs.map((d) => queueMemory(cfg, d));
}

function queueMemory(cfg: NicConfig, direction: 'rx' | 'tx'): MemoryUse {
  const size = cfg.ringSize;
  const rx = direction === 'rx';
  const queueBytes = roundPage(cfg.virtqueue ? virtqLayout(size).total : size * (rx ? RX_DESC_SIZE : TX_DESC_SIZE));
  // rx: a ring's worth of buffers posted plus a ring's worth held until write-back
  const guest = 2 * GUEST_RAM_PAD + queueBytes + (rx ? 2 * size : size) * BUF_SIZE;
  // the IOMMU's IOVA table (4 B), permissions (1 B) and writer counts (2 B) per guest page
  const iommu = cfg.iommu ? (guest / PAGE_SIZE) * 7 : 0;
  const hsize = Math.max(size, DEFAULT_RING_SIZE);
  const host = !cfg.hostBackend ? 0 : rx ? roundPage(hsize * RX_DESC_SIZE) + 2 * hsize * BUF_SIZE : BUF_SIZE;
  return {
    key: 'ring_size',
    bytes: guest + iommu + host,
    what: `${cfg.mode} ${direction} queue of ${size}: guest memory and buffers${cfg.iommu ? ', IOMMU tables' : ''}${host ? ', the host NIC behind the backend' : ''}`,
  };
}
