// One measurement for `vnflab reproduce`: an embedded chain traffic-gen > middle > backends at a
// set rate (or as fast as it takes), a warm-up so the JIT has compiled the hot paths, then a
// window read while traffic flows (compare/embedded-window.ts copies the counters). Figures are
// per packet that entered the first middle stage, so chains that drop everything measure too.

import { CATEGORIES, knownEvents, validateChain, type StageEntry, type StageRegistry } from '@vnflab/core';
import { EmbeddedChain } from '@vnflab/runtime';
import { latencyFromBuckets } from '../compare/latency';
import { readChainCounters } from '../compare/embedded-window';

export interface WindowSpec {
  middle: StageEntry[];
  /** Packets/s offered by the generator's own token bucket; 0 = as fast as the chain takes. */
  rate: number;
  warmupS: number;
  durationS: number;
  batchSize?: number;
}

export interface StageWindow {
  name: string;
  stage: string;
  variant: string;
  packetsIn: number;
  /** CPU the stage billed in the window, the lab's transport (bus) left out. */
  ns: number;
  nsPerPacket: number;
  /** Events per packet into the stage (interrupt, vm_exit, kick, ...). */
  events: Record<string, number>;
}

export interface ChainWindow {
  windowS: number;
  /** Packets into the first middle stage. */
  packetsIn: number;
  received: number;
  stages: StageWindow[];
  /** Every middle stage's CPU per packet into the chain (bus excluded). */
  nsPerPacket: number;
  /** Packets/s one core would carry doing only the middle stages: 1e9 / nsPerPacket. */
  capacityPps: number;
  /** Mean end-to-end latency of the packets the backends received in the window, seconds. */
  latencyMeanS: number;
  latencyCount: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const BUS = CATEGORIES.indexOf('bus');

export async function measureWindow(registry: StageRegistry, profile: string, spec: WindowSpec): Promise<ChainWindow> {
  const chain = validateChain(
    {
      name: 'reproduce',
      profile,
      batch_size: spec.batchSize ?? 64,
      bus: { bound: 16, policy: 'block' },
      stages: [
        {
          stage: 'traffic-gen',
          settings: {
            proto: 'udp',
            size: 64,
            flows: 1024,
            distribution: 'uniform',
            rate: spec.rate,
            // each packet goes as it falls due, as the papers' generators send: a timed drain
            // would add its own wait to the latency the window compares
            flush_ms: 0,
            dst: '10.0.0.100:80',
          },
        },
        ...spec.middle,
        { stage: 'backends' },
      ],
    },
    registry,
    'reproduce chain',
  );
  const ec = new EmbeddedChain(chain, registry);
  const run = ec.start();
  let a, b;
  try {
    await sleep(spec.warmupS * 1e3);
    a = readChainCounters(ec);
    await sleep(spec.durationS * 1e3);
    b = readChainCounters(ec);
  } finally {
    ec.stop();
    await run;
  }
  const names = knownEvents();
  const last = ec.stages.length - 1;
  const stages: StageWindow[] = [];
  for (let i = 1; i < last; i++) {
    const s = ec.stages[i];
    const packetsIn = b.stages[i].packetsIn - a.stages[i].packetsIn;
    let ns = 0;
    for (let c = 0; c < CATEGORIES.length; c++) if (c !== BUS) ns += b.stages[i].cpu[c] - a.stages[i].cpu[c];
    const events: Record<string, number> = {};
    names.forEach((e, k) => {
      const n = b.stages[i].events[k] - a.stages[i].events[k];
      if (n > 0) events[e] = packetsIn > 0 ? n / packetsIn : 0;
    });
    stages.push({
      name: s.name,
      stage: s.stage,
      variant: s.variant,
      packetsIn,
      ns,
      nsPerPacket: packetsIn > 0 ? ns / packetsIn : 0,
      events,
    });
  }
  const packetsIn = stages[0]?.packetsIn ?? 0;
  const totalNs = stages.reduce((x, s) => x + s.ns, 0);
  const nsPerPacket = packetsIn > 0 ? totalNs / packetsIn : 0;
  const e2e = new Float64Array(b.e2e.length);
  for (let i = 0; i < e2e.length; i++) e2e[i] = b.e2e[i] - (a.e2e[i] ?? 0);
  const lat = latencyFromBuckets(e2e, b.e2eSum - a.e2eSum);
  return {
    windowS: (b.t - a.t) / 1e3,
    packetsIn,
    received: b.stages[last].packetsOut - a.stages[last].packetsOut,
    stages,
    nsPerPacket,
    capacityPps: nsPerPacket > 0 ? 1e9 / nsPerPacket : 0,
    latencyMeanS: lat.mean,
    latencyCount: lat.count,
  };
}

/** The named middle stage of a window; throws naming it when the chain had none. */
export function stageOf(w: ChainWindow, name: string): StageWindow {
  const s = w.stages.find((x) => x.name === name || x.stage === name);
  if (!s)
    throw new Error(`reproduce: no stage "${name}" in the measured chain (${w.stages.map((x) => x.name).join(', ')})`);
  return s;
}

/**
 * Each stage's least CPU per packet into the chain over the windows of one spec (on a shared
 * machine noise only ever adds, and each stage's noise is its own), summed; events and counts
 * from the window with the least total.
 */
export function leastCpu(ws: ChainWindow[]): ChainWindow {
  const base = ws.reduce((a, b) => (b.packetsIn > 0 && (a.packetsIn <= 0 || b.nsPerPacket < a.nsPerPacket) ? b : a));
  const perChainPacket = (w: ChainWindow, i: number): number =>
    w.packetsIn > 0 ? w.stages[i].ns / w.packetsIn : Infinity;
  const stages = base.stages.map((s, i) => {
    const least = Math.min(...ws.map((w) => perChainPacket(w, i)));
    return {
      ...s,
      nsPerPacket: s.packetsIn > 0 ? (least * base.packetsIn) / s.packetsIn : 0,
      ns: least * base.packetsIn,
    };
  });
  const nsPerPacket = base.packetsIn > 0 ? stages.reduce((a, s) => a + s.ns, 0) / base.packetsIn : 0;
  return { ...base, stages, nsPerPacket, capacityPps: nsPerPacket > 0 ? 1e9 / nsPerPacket : 0 };
}

/** How far a spec's windows spread in CPU per packet: (max - min) / min; 0 with one window. */
export function cpuSpread(ws: ChainWindow[]): number {
  const v = ws.filter((w) => w.nsPerPacket > 0).map((w) => w.nsPerPacket);
  return v.length < 2 ? 0 : (Math.max(...v) - Math.min(...v)) / Math.min(...v);
}

/** The window with the lowest mean latency: noise only ever adds here too. */
export function leastLatency(ws: ChainWindow[]): ChainWindow {
  return ws.reduce((a, b) => (b.latencyCount > 0 && (a.latencyCount <= 0 || b.latencyMeanS < a.latencyMeanS) ? b : a));
}
