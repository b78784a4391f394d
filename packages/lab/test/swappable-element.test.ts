// A live swap in an embedded chain under traffic: the stage switches variant between batches,
// nothing is lost, the counters carry on, and the swap reports what it cost.

import { Batch, monoNs, validateChain, type Element, type ElementContext } from '@vnflab/core';
import { EmbeddedChain, summarize } from '@vnflab/runtime';
import { SwappableElement, makeSwappable, swapEmbedded } from '@vnflab/lab';
import { stageRegistry } from './stage-registry';

const registry = stageRegistry();

test('nic passthrough -> virtio -> emulated while traffic flows: no loss, new variant in place', async () => {
  const chain = validateChain(
    {
      name: 'swap-test',
      profile: 'zero',
      stages: [
        { stage: 'traffic-gen', settings: { rate: 20000, size: 64 } },
        { stage: 'nic', variant: 'passthrough' },
        { stage: 'backends' },
      ],
    },
    registry,
  );
  const ec = new EmbeddedChain(chain, registry);
  const w = makeSwappable(ec, 'nic');
  expect(ec.stages[1].element).toBe(w);
  const started = performance.now();
  const run = ec.start();
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  await sleep(200);
  const r1 = await swapEmbedded(ec, registry, 'nic', 'virtio');
  await sleep(200);
  const r2 = await swapEmbedded(ec, registry, 'nic', 'emulated');
  const swapsDoneMs = performance.now() - started;
  await sleep(200);
  ec.stop();
  await run;
  expect(r1).toMatchObject({ from: 'passthrough', to: 'virtio' });
  expect(r2).toMatchObject({ from: 'virtio', to: 'emulated' });
  // only what sat in the nic's input at the switch can have waited for it: the hop's bound in
  // batches, plus the one batch the generator had stamped and was still handing to the hop
  const heldAtSwitch = (chain.bus.bound + 1) * chain.batchSize;
  for (const r of [r1, r2]) {
    expect(r.duration_ms).toBeGreaterThanOrEqual(r.create_ms);
    // building, then waiting for the old element's batch, both inside the swap's duration
    expect(r.create_ms + r.drain_ms).toBeLessThanOrEqual(r.duration_ms + 1e-9);
    expect(Number.isInteger(r.packets_delayed)).toBe(true);
    expect(r.packets_delayed).toBeLessThanOrEqual(heldAtSwitch);
    // a wait is recorded exactly when a packet waited, and in ms: no longer than the run so far
    expect(r.max_delay_ms > 0).toBe(r.packets_delayed > 0);
    expect(r.max_delay_ms).toBeLessThan(swapsDoneMs);
  }
  expect(w.variant).toBe('emulated');
  expect(ec.stages[1].variant).toBe('emulated');
  expect(ec.stages[1].stats.variant).toBe('emulated');
  const s = summarize(chain.name, chain.profile, ec.stages, ec.elapsedSeconds());
  expect(s.sent).toBeGreaterThan(0);
  expect(s.accounting_closed).toBe(true);
  expect(s.drops_total).toBe(0);
  // every packet went through the nic, whichever variant it met
  expect(s.stages[1].packets_in).toBe(s.sent);
});

test('bad swaps are refused with a clear error', async () => {
  const chain = validateChain(
    {
      name: 'swap-test',
      profile: 'zero',
      stages: [{ stage: 'traffic-gen', settings: { count: 64 } }, { stage: 'nic' }, { stage: 'backends' }],
    },
    registry,
  );
  const ec = new EmbeddedChain(chain, registry);
  expect(() => makeSwappable(ec, 'lb')).toThrow('the chain has no stage "lb" (stages: traffic-gen, nic, backends)');
  expect(() => makeSwappable(ec, 'traffic-gen')).toThrow(/traffic source/);
  await expect(swapEmbedded(ec, registry, 'nic', 'virtio')).rejects.toThrow(/not made swappable/);
  makeSwappable(ec, 'nic');
  await expect(swapEmbedded(ec, registry, 'nic', 'turbo')).rejects.toThrow(
    'nic has no variant "turbo" (variants: passthrough, native, virtio, emulated)',
  );
  expect(ec.stages[1].element).toBeInstanceOf(SwappableElement);
  await ec.start();
});

test('the switch waits for the batch the old element holds; what was queued before it counts as delayed', async () => {
  const seen: string[] = [];
  const stub = (variant: string, hold?: Promise<void>): Element => ({
    stage: 'nic',
    variant,
    process: () => (seen.push(variant), hold),
  });
  const batchOf = (n: number, enqueueNs: number): Batch => {
    const b = Batch.allocate(n);
    for (let i = 0; i < n; i++) b.append(60);
    b.enqueueNs = enqueueNs;
    return b;
  };
  const ctx = {} as ElementContext;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const w = new SwappableElement(stub('old', held));

  void w.process(batchOf(3, monoNs()), ctx); // the old element holds this batch
  const queuedNs = monoNs();
  const queued = batchOf(5, queuedNs); // enqueued before the switch
  const swap = w.swap(() => stub('new'));
  await new Promise((r) => setImmediate(r));
  expect(w.variant).toBe('old'); // not while the old element holds a batch
  release();
  await new Promise((r) => setImmediate(r));
  expect(w.variant).toBe('new');
  void w.process(queued, ctx);
  void w.process(batchOf(2, monoNs()), ctx); // enqueued after the switch: the watch ends
  const r = await swap;
  const sinceQueuedMs = (monoNs() - queuedNs) / 1e6;

  expect(seen).toEqual(['old', 'new', 'new']);
  expect(r).toMatchObject({ from: 'old', to: 'new', packets_delayed: 5 });
  expect(r.max_delay_ms).toBeGreaterThan(0);
  expect(r.max_delay_ms).toBeLessThanOrEqual(sinceQueuedMs);
  expect(r.create_ms + r.drain_ms).toBeLessThanOrEqual(r.duration_ms + 1e-9);
  expect(w.swapping).toBe(false);
});
