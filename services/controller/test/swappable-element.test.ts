// A live swap in an embedded chain under traffic: the stage switches variant between batches,
// nothing is lost, the counters carry on, and the swap reports what it cost.

import { validateChain } from '@vnflab/core';
import { EmbeddedChain, summarize } from '@vnflab/runtime';
import { createRegistry } from '@vnflab/cli';
import { SwappableElement, makeSwappable, swapEmbedded } from '@vnflab/controller';

const registry = createRegistry();

test('nic passthrough -> virtio -> emulated while traffic flows: no loss, new variant in place', async () => {
  const chain = validateChain({
    name: 'swap-test',
    profile: 'zero',
    stages: [{ stage: 'traffic-gen', settings: { rate: 20000, size: 64 } }, { stage: 'nic', variant: 'passthrough' }, { stage: 'backends' }],
  }, registry);
  const ec = new EmbeddedChain(chain, registry);
  const w = makeSwappable(ec, 'nic');
  expect(ec.stages[1].element).toBe(w);
  const run = ec.start();
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  await sleep(200);
  const r1 = await swapEmbedded(ec, registry, 'nic', 'virtio');
  await sleep(200);
  const r2 = await swapEmbedded(ec, registry, 'nic', 'emulated');
  await sleep(200);
  ec.stop();
  await run;
  expect(r1).toMatchObject({ from: 'passthrough', to: 'virtio' });
  expect(r2).toMatchObject({ from: 'virtio', to: 'emulated' });
  for (const r of [r1, r2]) {
    expect(r.duration_ms).toBeGreaterThanOrEqual(r.create_ms);
    expect(r.packets_delayed).toBeGreaterThanOrEqual(0);
    expect(r.max_delay_ms).toBeGreaterThanOrEqual(0);
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
  const chain = validateChain({ name: 'swap-test', profile: 'zero', stages: [{ stage: 'traffic-gen', settings: { count: 64 } }, { stage: 'nic' }, { stage: 'backends' }] }, registry);
  const ec = new EmbeddedChain(chain, registry);
  expect(() => makeSwappable(ec, 'lb')).toThrow('the chain has no stage "lb" (stages: traffic-gen, nic, backends)');
  expect(() => makeSwappable(ec, 'traffic-gen')).toThrow(/traffic source/);
  await expect(swapEmbedded(ec, registry, 'nic', 'virtio')).rejects.toThrow(/not made swappable/);
  makeSwappable(ec, 'nic');
  await expect(swapEmbedded(ec, registry, 'nic', 'turbo')).rejects.toThrow('nic has no variant "turbo" (variants: passthrough, native, virtio, emulated)');
  expect(ec.stages[1].element).toBeInstanceOf(SwappableElement);
  await ec.start();
});
