// The drop reasons the nic element counts besides the shared ones (oversize). Registered here in
// the order the element always registered them (tx_ring_full, iommu_fault, rx_missed), so their
// codes in a process do not depend on which direction's file loads first.

import { reasonCode } from '@vnflab/core';

/** A frame the TX ring (or transmit virtqueue) had no room for: the stack found the queue stopped. */
export const TX_RING_FULL_REASON = reasonCode('tx_ring_full');
/** The IOMMU refused the device's DMA (unmapped or read-only page). */
export const IOMMU_FAULT_REASON = reasonCode('iommu_fault');
/** The RX ring (or virtqueue) had no buffer posted for the frame. */
export const RX_MISSED_REASON = reasonCode('rx_missed');
