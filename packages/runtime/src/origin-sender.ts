// Sends what one stage's element originated (ctx.out): counts each packet as `originated` at the
// stage, stamps the batch with an id of the stage's own range, and hands it to the hop of its
// direction — downstream, or back toward the source in a loop chain. A hop that refuses drops it
// as bus_full; a hop this stage has already ended drops it as chain_ended.

import { Reason, monoNs, type Batch, type BusProducer, type StageStats } from '@vnflab/core';
import type { RunnerOutbox } from './outbox';

/**
 * Batch ids of originated batches: above every generator's (a generator's start takes
 * Date.now() * 1000, below 2^52), one range of 2^46 per stage index, and in it a fresh range per
 * start (the start's millisecond, mod 2^24, times 2^22 batches), so the dedup of a Redis
 * consumer never takes one stage's batch for another's or a restarted stage's for an old one.
 */
export function originIdBase(stageIndex: number, startMs = Date.now()): number {
  return 2 ** 52 + (stageIndex % 64) * 2 ** 46 + (startMs % 2 ** 24) * 2 ** 22;
}

export class OriginSender {
  /** Set by the host when it ends the stage's output in that direction. */
  forwardEnded = false;
  backEnded = false;
  private nextId: number;

  /**
   * @param forward the hop downstream (null at the last stage)
   * @param back the hop toward the source (null in an open chain)
   * @param release gives back a batch that goes nowhere
   */
  constructor(
    private readonly forward: BusProducer | null,
    private readonly back: BusProducer | null,
    private readonly stats: StageStats,
    private readonly release: (b: Batch) => void,
    private readonly stageIndex: number,
    private readonly chainId = 0,
    firstId = originIdBase(stageIndex),
  ) {
    this.nextId = firstId;
  }

  /** Sends and empties what the outbox holds, forward batches first. */
  async send(box: RunnerOutbox): Promise<void> {
    const f = box.forwardBatches;
    for (let i = 0; i < f.length; i++) await this.one(f[i], this.forward, this.forwardEnded);
    f.length = 0;
    const k = box.backBatches;
    for (let i = 0; i < k.length; i++) await this.one(k[i], this.back, this.backEnded);
    k.length = 0;
  }

  private async one(b: Batch, hop: BusProducer | null, ended: boolean): Promise<void> {
    const stats = this.stats;
    const n = b.count;
    if (n === 0 || !hop) {
      this.release(b);
      return;
    }
    stats.originated += n;
    if (ended) {
      stats.drop(Reason.chain_ended, n);
      this.release(b);
      return;
    }
    b.chainId = this.chainId;
    b.batchId = this.nextId++;
    b.stageIndex = this.stageIndex;
    b.createdNs = b.enqueueNs = monoNs();
    stats.packetsOut += n;
    stats.bytesOut += b.bytes();
    if (!(await hop.send(b))) {
      stats.drop(Reason.bus_full, n);
      stats.packetsOut -= n;
      stats.bytesOut -= b.bytes();
      this.release(b);
    }
  }
}
