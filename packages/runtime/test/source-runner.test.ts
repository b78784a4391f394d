// A loop chain's source ends when it is done, even while batches keep coming back: a middle
// stage's timer may send some back for as long as the run lasts, and on Redis the return input's
// backlog is sampled (once a second), so it can read as waiting at every look. The runner then
// ends its output and takes what is still coming until the return input ends.

import { BatchPool, Costs, StageStats, loadProfile, silentLogger, type BusConsumer, type Delivery } from '@vnflab/core';
import { SourceRunner } from '@vnflab/runtime';
import { LoopClient } from './loop-stages';

/**
 * Returns that never read as drained: a one-packet batch at every receive(), until two have come
 * after the source ended its output; then the input ends. (Injected: a real hop shows this only
 * with the right timing, see test/loop-redis.test.ts.)
 */
class EndlessReturns implements BusConsumer {
  ended = false;
  given = 0;
  private afterEnd = 0;

  constructor(
    private readonly pool: BatchPool,
    private readonly outputEnded: () => boolean,
  ) {}

  pending(): number {
    return this.ended ? 0 : 1;
  }

  async receive(): Promise<Delivery | null> {
    await new Promise((r) => setImmediate(r));
    if (this.ended) return null;
    if (this.outputEnded() && this.afterEnd++ === 2) {
      this.ended = true;
      return null;
    }
    const b = this.pool.get();
    b.append(60); // no reply: the client takes it without counting progress
    this.given++;
    return { id: String(this.given), batch: b };
  }

  async ack(): Promise<void> {}
}

test('a done source ends its output though returns keep coming, and takes them until its return input ends', async () => {
  const pool = new BatchPool(4);
  const stats = new StageStats('loop-client', 'window');
  const ctx = { stats, costs: new Costs(loadProfile('zero')), log: silentLogger };
  let outputEnded = false;
  const output = { send: async () => true, end: async () => void (outputEnded = true) };
  const client = new LoopClient(0, 4, 1000); // nothing to send: done from the start
  const returns = new EndlessReturns(pool, () => outputEnded);
  const runner = new SourceRunner(client, ctx, pool, output, 0).takeReturns(returns, (b) => pool.put(b));
  const ran = runner.run();
  // before the fix the runner took returns for as long as they came and never ended
  const outcome = await Promise.race([
    ran.then(() => 'ended'),
    new Promise((r) => setTimeout(r, 5000, 'still running')),
  ]);
  if (outcome !== 'ended') {
    returns.ended = true; // let a runner that never ended finish, so the test fails rather than hangs
    await ran;
  }
  expect(outcome).toBe('ended');
  expect(outputEnded).toBe(true);
  expect(returns.ended).toBe(true);
  expect(returns.given).toBeGreaterThan(2);
  expect(stats.delivered).toBe(returns.given); // every batch that came back was taken, and delivered here
});
