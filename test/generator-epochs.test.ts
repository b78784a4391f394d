// A generator service replaced mid-run (a traffic-gen container recreated with new traffic): the
// old one, stopped as SIGTERM stops it (drain), leaves the run open; every middle stage keeps
// running; the new one continues the run — its count from the ledger, each flow's sequence from
// where the old one left it, its batch ids a range of their own — and ends it when its count is done. Every
// stage is a StageService (the host of `vnflab serve`) on a real redis-server.

import { join } from 'node:path';
import { loadChainFile, silentLogger, validateChain, type ResolvedChain } from '@vnflab/core';
import { createRegistry } from '@vnflab/cli';
import { StageService, summarizeServices, type ServiceSettings } from '@vnflab/runtime';
import type { TrafficGenerator } from '@vnflab/traffic-gen';
import { waitFor } from './helpers/ports';
import { TestRedis } from './helpers/redis';

const registry = createRegistry();
let redis: TestRedis;

beforeAll(async () => {
  redis = await TestRedis.start();
});
afterAll(async () => {
  await redis?.stop();
});

function chainOf(traffic: Record<string, unknown>): ResolvedChain {
  const base = loadChainFile(join(__dirname, '..', 'chains', 'default.yaml'), registry);
  return validateChain(
    {
      name: 'epochs',
      profile: 'zero',
      batch_size: 64,
      bus: { bound: 16, policy: 'block' },
      stages: base.stages.map((s, i) => ({
        stage: s.stage,
        name: s.name,
        variant: s.variant,
        settings: i === 0 ? { ...s.settings, ...traffic } : s.settings,
      })),
    },
    registry,
  );
}

function service(chain: ResolvedChain, index: number, run: string): StageService {
  const s = chain.stages[index];
  const cfg: ServiceSettings = {
    chain,
    index,
    name: s.name,
    replica: 0,
    instance: s.name,
    busUrl: redis.url,
    prefix: `vnflab:epochs:${run}`,
    run,
    port: 0,
    host: '127.0.0.1',
    controlToken: undefined,
    claimIdleMs: 5000,
    blockMs: 20,
    prefetch: 4,
    drainTimeoutMs: 5000,
    capture: undefined,
    logLevel: 'silent',
  };
  return new StageService(cfg, registry, silentLogger);
}

describe('a generator replaced mid-run', () => {
  test('the old one stopped (SIGTERM path) ends nothing; the new one continues the run and closes its accounting', async () => {
    const chain = chainOf({ rate: 20_000, count: 8000, flows: 16 });
    const stages = chain.stages.slice(1).map((_, i) => service(chain, i + 1, 'r1'));
    const first = service(chain, 0, 'r1');
    let second: StageService | undefined;
    try {
      const running = stages.map((s) => s.start());
      await Promise.all(stages.map((s) => s.bus.whenReady()));
      void first.start();
      const gen1 = first.element as TrafficGenerator;
      await waitFor(
        'the first generator to send 2,000',
        async () => (gen1.sent >= 2000 ? true : undefined),
        10_000,
        20,
      );
      expect(await first.drain(5000)).toBe(true); // what serveStage does on SIGTERM
      const sentFirst = gen1.sent;
      expect(sentFirst).toBeLessThan(8000);
      // the run is not over: no end was declared, and every stage is still running
      expect(await stages[0].bus.ended([{ stream: chain.stages[1].name, group: chain.stages[1].name }])).toBe(false);
      await new Promise((r) => setTimeout(r, 300));
      for (const s of stages) expect(s.state).toBe('running');
      await first.close();

      second = service(chain, 0, 'r1');
      const done = second.start();
      await done; // its count (8,000 in all) done, it declares the end
      const gen2 = second.element as TrafficGenerator;
      expect(gen2.sent).toBe(8000);
      expect(gen2.describe().seq_base).toBe(sentFirst);
      await Promise.all(running); // every stage finishes: the end travelled down the chain
      for (const s of stages) expect(s.state).toBe('finished');

      const results = [second, ...stages].map((s) => ({ snap: s.snapshot(), restarts: 0, left: false }));
      const summary = summarizeServices(chain, results, 1, { url: redis.url, run: 'r1' });
      expect(summary.sent).toBe(8000); // both epochs: the new generator counted on from the ledger
      expect(summary.accounting_closed).toBe(true);
      expect(summary.bus.lost).toEqual({});
      expect(summary.duplicates).toBe(0);
      const sink = summary.stages[summary.stages.length - 1].details as Record<string, number>;
      expect(sink.duplicates).toBe(0);
      expect(sink.reordered).toBe(0); // probes of the new epoch go on from the old ones
      // the old generator handed each flow's next sequence number over: no gap between the epochs
      expect(sink.sequence_gaps).toBeLessThanOrEqual(summary.drops_total);
      expect(summary.received + summary.drops_total).toBe(8000);
      expect(summary.received).toBeGreaterThan(sentFirst);
    } finally {
      await Promise.all([first, second, ...stages].filter((s) => s).map((s) => s!.close()));
    }
  });

  test("under `vnflab run --bus` (stopEndsRun) the generator's stop ends the run: Ctrl-C drains the chain", async () => {
    const chain = chainOf({ rate: 20_000, flows: 4 });
    const stages = chain.stages.slice(1).map((_, i) => service(chain, i + 1, 'r3'));
    const gen = service(chain, 0, 'r3');
    gen.stopEndsRun = true; // what serveStage sets when started by the supervisor
    try {
      const running = stages.map((s) => s.start());
      await Promise.all(stages.map((s) => s.bus.whenReady()));
      void gen.start();
      const g = gen.element as TrafficGenerator;
      await waitFor('1,000 sent', async () => (g.sent >= 1000 ? true : undefined), 10_000, 20);
      expect(await gen.drain(5000)).toBe(true);
      await Promise.all(running);
      for (const s of stages) expect(s.state).toBe('finished');
    } finally {
      await Promise.all([gen, ...stages].map((s) => s.close()));
    }
  });

  test('a generator told to end (PUT /traffic {end: true}) ends the run', async () => {
    const chain = chainOf({ rate: 20_000, flows: 4 });
    const stages = chain.stages.slice(1).map((_, i) => service(chain, i + 1, 'r2'));
    const gen = service(chain, 0, 'r2');
    try {
      const running = stages.map((s) => s.start());
      await Promise.all(stages.map((s) => s.bus.whenReady()));
      const done = gen.start();
      const g = gen.element as TrafficGenerator;
      await waitFor('1,000 sent', async () => (g.sent >= 1000 ? true : undefined), 10_000, 20);
      g.setTraffic({ end: true });
      await done;
      await Promise.all(running);
      for (const s of stages) expect(s.state).toBe('finished');
      expect(stages[stages.length - 1].stats.packetsIn).toBe(g.sent - gen.stats.totalDrops());
    } finally {
      await Promise.all([gen, ...stages].map((s) => s.close()));
    }
  });
});
