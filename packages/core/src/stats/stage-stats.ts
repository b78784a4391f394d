// Plain counters of one stage instance, updated on the hot path with no allocation. Metrics,
// the live table, /stats and the JSON summary all read from here.

import { CpuMeter } from '../cpu/cpu-meter';
import { reasonName } from '../reasons';
import { MAX_EVENTS, knownEvents } from './events';
import { LogHistogram } from './histogram';

export class StageStats {
  packetsIn = 0;
  packetsOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  batches = 0;
  /** Packets the element created here (ctx.out): a loop chain's answers, ACKs, retransmissions. */
  originated = 0;
  /** Packets that reached their end here (batch.deliver, or back at a loop chain's source). */
  delivered = 0;
  /** Drops by reason code. */
  readonly drops = new Float64Array(256);
  readonly events = new Float64Array(MAX_EVENTS);
  readonly cpu = new CpuMeter();
  readonly queueLatency = new LogHistogram();
  readonly processLatency = new LogHistogram();
  readonly batchSize = new LogHistogram();
  busPending = 0;

  constructor(
    readonly stage: string,
    public variant: string,
    readonly instance = stage,
  ) {}

  drop(reason: number, n = 1, bytes = 0): void {
    if (reason >= this.drops.length) throw new RangeError(`drop reason code ${reason} exceeds the table`);
    this.drops[reason] += n;
    void bytes;
  }

  event(ev: number, n = 1): void {
    this.events[ev] += n;
  }

  totalDrops(): number {
    let s = 0;
    for (let i = 1; i < this.drops.length; i++) s += this.drops[i];
    return s;
  }

  dropsByReason(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 1; i < this.drops.length; i++) if (this.drops[i] > 0) out[reasonName(i)] = this.drops[i];
    return out;
  }

  eventsByName(): Record<string, number> {
    const out: Record<string, number> = {};
    knownEvents().forEach((e, i) => {
      if (this.events[i] > 0) out[e] = this.events[i];
    });
    return out;
  }
}
