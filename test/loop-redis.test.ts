// A closed-loop chain on Redis: every stage hosted by its own StageService (the host of
// `vnflab serve` and `vnflab run --bus`) on a real redis-server, the synthetic client, relay and
// reflector stages registered in a test registry. The ways back are their own hops
// (`<stage>:return`), ended by their one producer; accounting closes in both directions.

import { silentLogger, validateChain } from '@vnflab/core';
import { StageService, summarizeServices, type ServiceSettings } from '@vnflab/runtime';
import { loopRegistry, type LoopClient, type LoopRelay } from '../packages/runtime/test/loop-stages';
import { TestRedis } from './helpers/redis';

const registry = loopRegistry();
let redis: TestRedis;

beforeAll(async () => {
  redis = await TestRedis.start();
});
afterAll(async () => {
  await redis?.stop();
});

async function runOnRedis(relay: Record<string, unknown>, client: Record<string, unknown>, run: string) {
  const chain = validateChain(
    {
      name: 'loop',
      profile: 'zero',
      batch_size: 32,
      loop: true,
      stages: [
        { stage: 'loop-client', settings: { requests: 600, ...client } },
        { stage: 'loop-relay', name: 'relay-a', settings: relay },
        { stage: 'loop-reflector', variant: 'reply' },
      ],
    },
    registry,
  );
  const services = chain.stages.map((s, index) => {
    const cfg: ServiceSettings = {
      chain,
      index,
      name: s.name,
      replica: 0,
      instance: s.name,
      busUrl: redis.url,
      prefix: `vnflab:loop:${run}`,
      run,
      port: 0,
      host: '127.0.0.1',
      controlToken: undefined,
      claimIdleMs: 5000,
      blockMs: 20,
      prefetch: 4,
      drainTimeoutMs: 2000,
      capture: undefined,
      logLevel: 'silent',
    };
    return new StageService(cfg, registry, silentLogger);
  });
  try {
    // consumers first, as `vnflab run --bus` starts them
    const runs = services.slice(1).map((s) => s.start());
    await Promise.all(services.slice(1).map((s) => s.bus.whenReady()));
    runs.unshift(services[0].start());
    await Promise.all(runs);
    const results = services.map((s) => ({ snap: s.snapshot(), restarts: 0, left: false }));
    const summary = summarizeServices(chain, results, 1, { url: redis.url, run });
    return { services, summary };
  } finally {
    await Promise.all(services.map((s) => s.close()));
  }
}

describe('closed-loop chain on Redis', () => {
  test('answers come back over the return hops; accounting closes in both directions', async () => {
    const { services, summary: s } = await runOnRedis({}, {}, 'r1');
    const [client, relay, reflector] = services;
    expect((client.element as LoopClient).replies).toBe(600);
    expect(s.sent).toBe(600);
    expect(reflector.stats.delivered).toBe(600);
    expect(reflector.stats.originated).toBe(600);
    expect(client.stats.delivered).toBe(600);
    expect((relay.element as LoopRelay).returned).toBe(600);
    expect(s.received).toBe(600);
    expect(s.drops_total).toBe(0);
    expect(s.accounting_closed).toBe(true);
    expect(s.bus.lost).toEqual({});
    for (const svc of services) expect(svc.state).toBe('finished');
    // the return hops were Redis streams of their own
    expect(relay.returnConsumer!.stream).toBe('{vnflab:loop:r1:hop:relay-a:return}');
  });

  test('return-path drops and ticks are accounted; a client that gives up ends the run', async () => {
    // the client gives up once no answer has come for give_up_ms: long enough that a loaded
    // machine's stall mid-run is not taken for the end (at 400 ms it once gave up after about 250
    // answers). The run ends that long after the last answer, though the relay's ticks keep coming
    const { services, summary: s } = await runOnRedis({ drop_return_every: 6, tick_ms: 5 }, { give_up_ms: 1000 }, 'r2');
    const [client, relay] = services;
    const ticked = (relay.element as LoopRelay).ticked;
    expect(ticked).toBeGreaterThan(0);
    expect(relay.stats.originated).toBe(ticked);
    // the relay drops every sixth answer on its way back; its notices start there, past that check
    expect(s.drops).toEqual({ 'relay-a': { relay_return_drop: 100 } });
    expect(client.stats.delivered).toBe(500 + ticked);
    expect(s.sent + s.originated!).toBe(s.delivered! + s.drops_total);
    expect(s.accounting_closed).toBe(true);
  });
});
