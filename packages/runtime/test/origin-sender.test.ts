// What an element originates: counted at its stage, sent with an id of the stage's own range,
// dropped as bus_full when the hop refuses it and as chain_ended once the stage ended that output.

import { BatchPool, MemoryBus, StageStats } from '@vnflab/core';
import { OriginSender, RunnerOutbox, originIdBase } from '@vnflab/runtime';

function fill(box: RunnerOutbox, forward: number, back: number): void {
  for (let i = 0; i < forward; i++) box.forward().append(60);
  for (let i = 0; i < back; i++) box.back().append(60);
}

test('originated packets are counted and sent, refused ones are bus_full, late ones chain_ended', async () => {
  const pool = new BatchPool(4);
  const bus = new MemoryBus({ bound: 1, policy: 'drop' });
  const stats = new StageStats('mid', 'test');
  const origin = new OriginSender(bus.producer('next'), bus.producer('back'), stats, (b) => pool.put(b), 2, 0, 1000);
  const box = new RunnerOutbox(pool, true, true, 'mid');

  fill(box, 3, 2);
  await origin.send(box);
  expect(box.used).toBe(false);
  expect(stats.originated).toBe(5);
  expect(stats.packetsOut).toBe(5);
  const next = bus.consumer('next');
  const d = (await next.receive(10))!;
  expect(d.batch.count).toBe(3);
  expect(d.batch.batchId).toBe(1000);
  expect(d.batch.stageIndex).toBe(2);

  // 'back' holds one batch already (bound 1): the next is refused
  fill(box, 0, 4);
  await origin.send(box);
  expect(stats.dropsByReason()).toEqual({ bus_full: 4 });
  expect(stats.packetsOut).toBe(5);

  origin.forwardEnded = true;
  fill(box, 6, 0);
  await origin.send(box);
  expect(stats.originated).toBe(15);
  expect(stats.dropsByReason()).toEqual({ bus_full: 4, chain_ended: 6 });
  // every batch that went nowhere is back in the pool
  expect(pool.available).toBe(pool.allocated - 2);
});

test('batch id ranges of originated batches lie above every generator id and apart per stage', () => {
  const gen = Date.now() * 1000;
  expect(originIdBase(1)).toBeGreaterThan(gen);
  expect(originIdBase(2, 5) - originIdBase(1, 5)).toBe(2 ** 46);
  // the last id of the last range is still an exact integer
  expect(originIdBase(63, 2 ** 24 - 1) + 2 ** 22 - 1).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
});
