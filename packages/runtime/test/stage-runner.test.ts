import {
  Batch,
  CLOCK_DOMAIN,
  Costs,
  MemoryBus,
  StageStats,
  UNTIMED_OTHER_HOST,
  loadProfile,
  monoNs,
  reasonName,
  silentLogger,
  type Element,
} from '@vnflab/core';
import { StageRunner } from '@vnflab/runtime';

test('an element that throws drops its batch as element_error and the stage keeps running', async () => {
  const bus = new MemoryBus();
  let calls = 0;
  const flaky: Element = {
    stage: 'flaky',
    variant: 'test',
    process() {
      if (++calls === 2) throw new Error('boom');
    },
  };
  const stats = new StageStats('flaky', 'test');
  const errors: string[] = [];
  const log = { ...silentLogger, error: (o: object | string) => void errors.push(JSON.stringify(o)) };
  const runner = new StageRunner({
    element: flaky,
    ctx: { stats, costs: new Costs(loadProfile('zero')), log },
    input: bus.consumer('in'),
    output: null,
    stageIndex: 1,
  });
  const done = runner.start();
  const p = bus.producer('in');
  for (let k = 0; k < 3; k++) {
    const b = Batch.allocate(8);
    for (let i = 0; i < 5; i++) b.append(60);
    await p.send(b);
  }
  await p.end();
  await done;
  expect(stats.packetsIn).toBe(15);
  expect(stats.packetsOut).toBe(10);
  expect(stats.dropsByReason()).toEqual({ element_error: 5 });
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain('boom');
  expect(reasonName(stats.drops.findIndex((x) => x > 0))).toBe('element_error');
});

test("a batch enqueued on another host's clock is counted as untimed, not put in the queue histogram", async () => {
  const bus = new MemoryBus();
  const pass: Element = { stage: 'pass', variant: 'test', process() {} };
  const stats = new StageStats('pass', 'test');
  const runner = new StageRunner({
    element: pass,
    ctx: { stats, costs: new Costs(loadProfile('zero')), log: silentLogger },
    input: bus.consumer('in'),
    output: null,
    stageIndex: 1,
  });
  const done = runner.start();
  const p = bus.producer('in');
  for (const clock of [CLOCK_DOMAIN, (CLOCK_DOMAIN ^ 1) >>> 0 || 2]) {
    const b = Batch.allocate(8);
    for (let i = 0; i < 5; i++) b.append(60);
    b.enqueueNs = monoNs() - 1e6; // a millisecond ago ...
    b.enqueueClock = clock; // ... on this host's clock, then on another's
    await p.send(b);
  }
  await p.end();
  await done;
  expect(stats.packetsIn).toBe(10);
  expect(stats.queueLatency.count).toBe(5);
  expect(stats.events[UNTIMED_OTHER_HOST]).toBe(5);
});
