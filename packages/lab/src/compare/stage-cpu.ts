// A window's CPU as a CompareResult holds it, the same in embedded and compose mode: the
// compared stage's seconds by category and by group, and its nanoseconds per packet without the
// lab's transport. The `bus` category (the hop between stages: a Redis round trip in compose)
// is the lab's cost, not the stage's, so it stands apart, as in the run summary.

import { groupShare } from './cpu-share';
import type { CpuWindow } from './model';

const TRANSPORT = 'bus';

/** Nanoseconds per packet of a stage's CPU seconds by category, the lab's transport left out. */
export function nsPerPacket(seconds: Record<string, number>, packetsIn: number): { own: number; bus: number } {
  if (!(packetsIn > 0)) return { own: 0, bus: 0 };
  let own = 0;
  for (const [c, s] of Object.entries(seconds)) if (c !== TRANSPORT) own += s;
  return { own: (own * 1e9) / packetsIn, bus: ((seconds[TRANSPORT] ?? 0) * 1e9) / packetsIn };
}

export interface StageCpuInput {
  /** The compared stage: CPU seconds by category and packets it took in, over the window. */
  stageSeconds: Record<string, number>;
  stageIn: number;
  /** Every stage under test (between generator and backends): seconds by category, summed. */
  chainSeconds: Record<string, number>;
  /** Every stage under test by name: its seconds by category and packets in. */
  stages: Record<string, { seconds: Record<string, number>; packetsIn: number }>;
}

export function cpuWindow(i: StageCpuInput): CpuWindow {
  const st = nsPerPacket(i.stageSeconds, i.stageIn);
  const perStage: Record<string, number> = {};
  for (const [name, s] of Object.entries(i.stages)) perStage[name] = nsPerPacket(s.seconds, s.packetsIn).own;
  return {
    stage_seconds: i.stageSeconds,
    stage_ns_per_packet: st.own,
    bus_ns_per_packet: st.bus,
    stage_share: groupShare(i.stageSeconds),
    chain_seconds: i.chainSeconds,
    chain_share: groupShare(i.chainSeconds),
    stages_ns_per_packet: perStage,
  };
}
