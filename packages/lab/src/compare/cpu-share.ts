// CPU seconds by category folded into mTCP's Figure 1 groups, as fractions.

import { GROUPS } from '@vnflab/core';

export function groupShare(seconds: Record<string, number>): Record<string, number> {
  const total = Object.values(seconds).reduce((a, b) => a + b, 0);
  const out: Record<string, number> = {};
  for (const [g, cats] of Object.entries(GROUPS)) {
    out[g] = total > 0 ? (cats as readonly string[]).reduce((a, c) => a + (seconds[c] ?? 0), 0) / total : 0;
  }
  return out;
}
