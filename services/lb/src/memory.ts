// What the lb's settings cost in memory, for the budget checked before a chain is built
// (packages/core/src/chain/memory-budget.ts): each VIP's Maglev table and its spare, and the
// connection-tracking arrays. Read from the settings without building anything.

import type { MemoryUse } from '@vnflab/core';
import { ConnTrack } from './conntrack';
import { MaglevTable } from './maglev';
import { DEFAULT_VIPS, LB_DEFAULTS } from './settings';

export function lbMemory(variant: string, settings: Record<string, unknown>): MemoryUse[] {
  const out: MemoryUse[] = [];
  const vips = Array.isArray(settings.vips) ? settings.vips.length : DEFAULT_VIPS.length;
  const size = typeof settings.table_size === 'number' ? settings.table_size : LB_DEFAULTS.table_size;
  if (variant === 'maglev') {
    out.push({
      key: 'table_size',
      bytes: vips * MaglevTable.bytesFor(size),
      what: `${vips} VIPs x Maglev table_size ${size} x 2 tables (serving and spare) x 4 B`,
    });
  }
  const flows = typeof settings.conntrack_size === 'number' ? settings.conntrack_size : LB_DEFAULTS.conntrack_size;
  if (flows > 0) {
    out.push({
      key: 'conntrack_size',
      bytes: ConnTrack.bytesFor(flows),
      what: `connection tracking for ${flows} flows`,
    });
  }
  return out;
}
