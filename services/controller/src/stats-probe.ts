// Reads a stage container's accounting counters from its /stats (ServiceStatsJson) so a swap can
// report the packets the old container handled up to its exit and the new one from its start.

import { probe } from './http-probe';

export interface StageCounters {
  packets_in: number;
  packets_out: number;
  drops: number;
  variant: string | null;
  /** ISO time of the read. */
  at: string;
}

const n = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

/** null when the container does not answer (yet, or any more) or answers something else. */
export async function readCounters(baseUrl: string, timeoutMs = 1000): Promise<StageCounters | null> {
  try {
    const r = await probe(`${baseUrl}/stats`, timeoutMs);
    if (r.status !== 200) return null;
    const j = JSON.parse(r.body) as { stats?: Record<string, unknown>; service?: { variant?: unknown } };
    const s = j.stats ?? (j as Record<string, unknown>);
    if (typeof s.packets_in !== 'number') return null;
    const drops = Object.values((s.drops ?? {}) as Record<string, unknown>).reduce<number>((a, v) => a + n(v), 0);
    const variant =
      typeof j.service?.variant === 'string' ? j.service.variant : typeof s.variant === 'string' ? s.variant : null;
    return { packets_in: n(s.packets_in), packets_out: n(s.packets_out), drops, variant, at: new Date().toISOString() };
  } catch {
    return null;
  }
}
