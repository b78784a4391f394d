// A virtqueue as describe() shows it: its indices and both sides' notification counts, RX or TX.

import type { VhostQueue } from './vhost-queue';
import type { SplitVirtqueue } from './virtqueue';
import type { VirtqueueDriver } from './virtqueue-driver';

export function describeVirtqueue(
  vq: SplitVirtqueue,
  vhost: VhostQueue,
  driver: VirtqueueDriver,
): Record<string, number> {
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
