// The live-swap benchmark, embedded: a chain carrying traffic at a fixed rate while stages are
// swapped live (nic through every mode, kernel-path both ways, lb through every algorithm).
// Per swap: its duration (start to old element closed), how long building the new element
// took, and the packets that waited in the stage's input across the switch. The run ends
// with the accounting: every packet sent is received or dropped with a reason.

import { validateChain, type ResolvedChain, type StageRegistry } from '@vnflab/core';
import { EmbeddedChain, summarize } from '@vnflab/runtime';
import { PacedSource } from '../compare/paced-source';
import { makeSwappable, swapEmbedded } from '../swap/embedded-swap';
import type { ElementSwapReport } from '../swap/swappable-element';

export interface SwapBenchOptions {
  registry: StageRegistry;
  /** The chain to run (e.g. chains/default.yaml); its generator is set to `rate`, unbounded. */
  chain: ResolvedChain;
  quick?: boolean;
  log?: (m: string) => void;
  /** Offered packets/s, paced in whole batches (default 50000, below what the default chain carries). */
  rate?: number;
  rounds?: number;
}

export const SWAP_SEQUENCE: [string, string][] = [
  ['nic', 'virtio'],
  ['nic', 'emulated'],
  ['nic', 'native'],
  ['nic', 'passthrough'],
  ['kernel-path', 'bypass'],
  ['kernel-path', 'kernel'],
  ['lb', 'round-robin'],
  ['lb', 'hash-mod-n'],
  ['lb', 'maglev'],
];

export interface SwapBenchResult {
  rate_pps: number;
  /**
   * Per swap; `not_offered` counts packets the generator was due to send while the swap held the
   * one thread the embedded chain shares (building the new element is synchronous): not lost,
   * never sent — the embedded analogue of a stall at the source.
   */
  swaps: (ElementSwapReport & { stage: string; not_offered: number })[];
  sent: number;
  received: number;
  drops_total: number;
  accounting_closed: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runSwapBench(o: SwapBenchOptions): Promise<SwapBenchResult> {
  const rate = o.rate ?? 50000;
  const rounds = o.rounds ?? (o.quick ? 1 : 3);
  const log = o.log ?? (() => undefined);
  const base = o.chain;
  const chain = validateChain(
    {
      name: base.name,
      profile: base.profile,
      batch_size: base.batchSize,
      bus: base.bus,
      stages: base.stages.map((s, i) => ({
        stage: s.stage,
        name: s.name,
        variant: s.variant,
        // paced below (PacedSource), the generator itself unlimited
        settings:
          i === 0
            ? {
                ...Object.fromEntries(
                  Object.entries(s.settings).filter(([k]) => !['count', 'duration', 'pcap_in'].includes(k)),
                ),
                rate: 0,
              }
            : s.settings,
      })),
    },
    o.registry,
    'swap bench chain',
  );
  const sequence = SWAP_SEQUENCE.filter(([st]) => chain.stages.some((s) => s.stage === st || s.name === st));
  const ec = new EmbeddedChain(chain, o.registry);
  const paced = new PacedSource(ec.source, rate, chain.batchSize, chain.bus.bound);
  ec.stages[0].element = paced;
  for (const st of new Set(sequence.map(([s]) => s))) makeSwappable(ec, st);
  const run = ec.start();
  const swaps: SwapBenchResult['swaps'] = [];
  try {
    await sleep(500);
    for (let r = 0; r < rounds; r++) {
      log(`swap bench: round ${r + 1} of ${rounds} at ${rate} packets/s`);
      for (const [stage, variant] of sequence) {
        const sent0 = ec.source.sent;
        const t0 = performance.now();
        const rep = await swapEmbedded(ec, o.registry, stage, variant);
        const due = (rate * (performance.now() - t0)) / 1e3;
        // beyond the pacing's slack: a stall the hop's buffer would absorb is caught up
        swaps.push({
          stage,
          ...rep,
          not_offered: Math.max(0, Math.round(due - (ec.source.sent - sent0) - paced.slack)),
        });
        await sleep(o.quick ? 150 : 300);
      }
    }
  } finally {
    ec.stop();
    await run;
  }
  const s = summarize(chain.name, chain.profile, ec.stages, ec.elapsedSeconds());
  return {
    rate_pps: rate,
    swaps,
    sent: s.sent,
    received: s.received,
    drops_total: s.drops_total,
    accounting_closed: s.accounting_closed,
  };
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : 0;
};

/** Table rows: one per swap kind, medians over the rounds. */
export function swapBenchRows(r: SwapBenchResult): string[][] {
  const rows: string[][] = [];
  const kinds = [...new Set(r.swaps.map((s) => `${s.stage}: ${s.from} -> ${s.to}`))];
  for (const k of kinds) {
    const xs = r.swaps.filter((s) => `${s.stage}: ${s.from} -> ${s.to}` === k);
    rows.push([
      `embedded swap ${k} at ${r.rate_pps / 1e3}k pps`,
      `${median(xs.map((x) => x.duration_ms)).toFixed(2)} ms`,
      `build ${median(xs.map((x) => x.create_ms)).toFixed(2)} ms; packets delayed ${median(xs.map((x) => x.packets_delayed)).toFixed(0)} (most ${Math.max(...xs.map((x) => x.packets_delayed))}), longest wait ${Math.max(...xs.map((x) => x.max_delay_ms)).toFixed(2)} ms; not offered while the thread was held ${median(xs.map((x) => x.not_offered)).toFixed(0)} (medians of ${xs.length})`,
    ]);
  }
  rows.push([
    `swaps under ${r.rate_pps} packets/s`,
    `${r.swaps.length} swaps, ${r.drops_total} packets lost`,
    `sent ${r.sent}, received ${r.received}; accounting ${r.accounting_closed ? 'closes' : 'DOES NOT close'}`,
  ]);
  return rows;
}
