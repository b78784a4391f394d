// `vnflab compare`: one stage's variants side by side. Embedded (default): each variant in a
// fresh chain in this process. Compose (--controller and --prometheus): each variant swapped in
// by the controller, windows read from Prometheus. Either way report.md, report.json and
// report.html land in --out, with a progress bar on stderr meanwhile.

import { parseArgs } from 'node:util';
import { ConfigError, loadChainFile, loadProfile, type ResolvedChain } from '@vnflab/core';
import { ControllerClient } from '@vnflab/controller';
import {
  PrometheusClient,
  composeBackend,
  embeddedBackend,
  findRegressions,
  loadBaseline,
  fig,
  pps,
  runCompare,
  seconds,
  sizeLabel,
  writeReport,
  type CompareBackend,
  type CompareReport,
  type FrameSize,
} from '@vnflab/lab';
import { ProgressBar } from './progress-bar';
import { createRegistry } from './registry';
import { DEFAULT_CHAIN, UsageError, num } from '@vnflab/runtime';

export const COMPARE_USAGE = `vnflab compare --stage STAGE [--variants A,B,...] [--rate PPS | --ndr | --pdr RATIO] [--max-latency MS] [--size 64,1500|imix]
           [--warmup S] [--duration S] [--repeat N] [--out DIR] [--config FILE] [--profile NAME] [--resolution R] [--max-iterations N]
           [--baseline REPORT.json --max-regression PCT] [--controller URL --prometheus URL [--token T]]`;

const OPTIONS = {
  stage: { type: 'string' },
  variants: { type: 'string' },
  rate: { type: 'string' },
  ndr: { type: 'boolean' },
  pdr: { type: 'string' },
  'max-latency': { type: 'string' },
  size: { type: 'string' },
  warmup: { type: 'string' },
  duration: { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string' },
  profile: { type: 'string' },
  resolution: { type: 'string' },
  'max-iterations': { type: 'string' },
  controller: { type: 'string' },
  prometheus: { type: 'string' },
  token: { type: 'string' },
  repeat: { type: 'string' },
  baseline: { type: 'string' },
  'max-regression': { type: 'string' },
} as const;

function parseSizes(v: string | undefined): FrameSize[] {
  if (v === undefined) return [64];
  const out: FrameSize[] = [];
  for (const part of v.split(',').map((s) => s.trim())) {
    if (part === 'imix') out.push('imix');
    else out.push(num('size', part, { min: 64, max: 1518, integer: true })!);
  }
  if (new Set(out).size !== out.length) throw new UsageError(`--size: "${v}" names a size twice`);
  return out;
}

const n0 = (v: number): string => v.toFixed(0);

function resultLine(r: CompareReport['results'][number]): string {
  return `${pps(r.packets_per_second)}pps${r.ndr ? `, NDR ${pps(r.ndr.rate_pps)}pps` : ''}, p99 ${seconds(r.latency_seconds.p99)}`;
}

/** What the search looked for: NDR, PDR RATIO, and/or a p99 bound. */
function searchName(n: NonNullable<CompareReport['settings']['ndr']>): string {
  const loss = n.loss_tolerance === undefined ? 'NDR' : n.loss_tolerance === null ? '' : `PDR ${n.loss_tolerance}`;
  const lat = n.max_latency_s !== undefined ? `p99 <= ${seconds(n.max_latency_s)}` : '';
  return [loss, lat].filter(Boolean).join(' with ');
}

function summaryTable(r: CompareReport): string {
  const head = [
    'variant',
    'size',
    'packets/s',
    ...(r.settings.ndr ? [`${searchName(r.settings.ndr)} pps`] : []),
    'drops',
    'p50',
    'p99',
    `${r.stage} ns/pkt`,
    'bus ns/pkt',
  ];
  const rows = r.results.map((x) => [
    x.variant,
    sizeLabel(x.size),
    fig(x, 'packets_per_second', x.packets_per_second, pps),
    ...(x.ndr ? [fig(x, 'ndr.rate_pps', x.ndr.rate_pps, pps)] : []),
    fig(x, 'drops_total', x.drops_total, n0),
    fig(x, 'latency_seconds.p50', x.latency_seconds.p50, seconds),
    fig(x, 'latency_seconds.p99', x.latency_seconds.p99, seconds),
    fig(x, 'cpu.stage_ns_per_packet', x.cpu.stage_ns_per_packet, n0),
    fig(x, 'cpu.bus_ns_per_packet', x.cpu.bus_ns_per_packet, n0),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [head, ...rows]
    .map((row) => row.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '))
    .join('\n');
}

/** The banner's traffic: the rate actually offered (compose: the generator container's own). */
function trafficLine(search: string | null, compose: boolean, rate: number, b: CompareBackend): string {
  if (search)
    return compose
      ? `${search} search, steering the traffic-gen container's rate through the controller`
      : `${search} search`;
  if (compose) {
    if (b.trafficRate === null || b.trafficRate === undefined)
      return `the traffic-gen container's own rate (not known: ${b.trafficRateUnknown ?? 'no answer'})`;
    return b.trafficRate > 0
      ? `${b.trafficRate} packets/s (the traffic-gen container's TRAFFIC_RATE)`
      : "as fast as the chain takes (the traffic-gen container's TRAFFIC_RATE is 0)";
  }
  return rate > 0 ? `${rate} packets/s` : 'as fast as the chain takes';
}

export async function compareCommand(argv: string[]): Promise<number> {
  const { values: f } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  const registry = createRegistry();
  const compose = f.controller !== undefined || f.prometheus !== undefined;
  if (compose && (!f.controller || !f.prometheus))
    throw new UsageError('compose mode needs both --controller URL and --prometheus URL');
  if (!f.stage) throw new UsageError('--stage is required (e.g. --stage nic)');

  // the chain: the file's in embedded mode; in compose mode only to know the stages
  let base: ResolvedChain;
  const where = f.config ?? DEFAULT_CHAIN;
  try {
    base = loadChainFile(where, registry);
    if (f.profile) {
      loadProfile(f.profile);
      base = { ...base, profile: f.profile };
    }
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const comparable = base.stages.slice(1, -1);
  const entry = comparable.find((s) => s.name === f.stage) ?? comparable.find((s) => s.stage === f.stage);
  if (!entry) {
    const why =
      registry.has(f.stage) && (f.stage === 'traffic-gen' || f.stage === 'backends')
        ? `${f.stage} is the lab's instrument, not a stage under test`
        : registry.has(f.stage)
          ? `the chain ${base.name} has no ${f.stage} stage`
          : `unknown stage "${f.stage}"`;
    throw new UsageError(`--stage: ${why} (stages to compare: ${comparable.map((s) => s.name).join(', ')})`);
  }
  const def = registry.get(entry.stage);
  const variants =
    f.variants === undefined
      ? // variants that answer their peer run only in a closed-loop chain
        def.variants.filter((v) => base.loop === true || !(def.loopVariants ?? []).includes(v))
      : f.variants
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  if (variants.length === 0) throw new UsageError(`--variants: give one or more of ${def.variants.join(', ')}`);
  for (const v of variants)
    if (!def.variants.includes(v))
      throw new UsageError(`--variants: ${entry.stage} has no variant "${v}" (variants: ${def.variants.join(', ')})`);
  if (new Set(variants).size !== variants.length)
    throw new UsageError(`--variants: "${f.variants}" names a variant twice`);

  if (f.rate !== undefined && f.ndr) throw new UsageError('give --rate or --ndr, not both');
  const pdr = num('pdr', f.pdr, { min: 0, max: 1 });
  if (pdr !== undefined && !(pdr > 0 && pdr < 1))
    throw new UsageError(
      `--pdr: ${pdr} is not a fraction between 0 and 1 (e.g. 0.001: 0.1 % of the offered packets may be lost)`,
    );
  if (pdr !== undefined && f.ndr)
    throw new UsageError('give --ndr (no loss) or --pdr RATIO (a fraction lost), not both');
  const maxLatencyMs = num('max-latency', f['max-latency'], { min: 0.001, max: 3_600_000 });
  const search = f.ndr === true || pdr !== undefined || maxLatencyMs !== undefined;
  if (f.rate !== undefined && search)
    throw new UsageError('give --rate or a search (--ndr, --pdr, --max-latency), not both');
  // --max-latency alone: the highest rate whose p99 stays under the bound, whatever is lost
  const lossTolerance = f.ndr ? 0 : (pdr ?? (maxLatencyMs !== undefined ? Infinity : 0));
  const warmupS = num('warmup', f.warmup, { min: 0, max: 3600 }) ?? 1;
  const durationS = num('duration', f.duration, { min: compose ? 1 : 0.05, max: 3600 }) ?? 3;
  const resolution = num('resolution', f.resolution, { min: 0.001, max: 0.5 }) ?? 0.02;
  const maxIterations = num('max-iterations', f['max-iterations'], { min: 1, max: 30, integer: true }) ?? 8;
  if (!search && (f.resolution !== undefined || f['max-iterations'] !== undefined))
    throw new UsageError('--resolution and --max-iterations belong to --ndr');
  const out = f.out ?? `compare-${entry.name}`;
  const repeat = num('repeat', f.repeat, { min: 1, max: 100, integer: true }) ?? 1;
  // the gate's baseline is read before anything runs: a bad file fails in a second, not after the compare
  if ((f.baseline === undefined) !== (f['max-regression'] === undefined))
    throw new UsageError(
      f.baseline === undefined
        ? '--max-regression needs --baseline REPORT.json (the report to compare against)'
        : '--baseline needs --max-regression PCT (how much worse a figure may be, in percent of the baseline)',
    );
  const maxRegression = num('max-regression', f['max-regression'], { min: 0, max: 1e6 });
  let baseline: CompareReport | null = null;
  if (f.baseline !== undefined) {
    try {
      baseline = loadBaseline(f.baseline);
    } catch (e) {
      throw new UsageError(`--baseline: ${(e as Error).message}`);
    }
    if (baseline.stage !== entry.name && baseline.stage !== entry.stage)
      throw new UsageError(`--baseline: ${f.baseline} compares stage ${baseline.stage}, this run ${entry.name}`);
  }

  let backend: CompareBackend;
  let sizes: FrameSize[];
  let rate = 0;
  if (compose) {
    for (const k of ['rate', 'size'] as const) {
      if (f[k] !== undefined)
        throw new UsageError(
          `--${k}: in compose mode the traffic is the traffic-gen container's own (TRAFFIC_RATE and TRAFFIC_SIZE in .env); --rate and --size apply to embedded runs (a search, --ndr, --pdr or --max-latency, steers the container's rate)`,
        );
    }
    try {
      backend = await composeBackend({
        controller: new ControllerClient(f.controller!, f.token ?? process.env.VNFLAB_CONTROL_TOKEN),
        prometheus: new PrometheusClient(f.prometheus!),
        stage: entry.stage,
        warmupS,
        durationS,
        steer: search,
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    sizes = [0]; // the generator's own; the report shows the measured average wire size
  } else {
    sizes = parseSizes(f.size);
    rate = num('rate', f.rate, { min: 0, max: 1e9 }) ?? 0;
    try {
      backend = embeddedBackend({ registry, base, stage: entry.name, variants, warmupS, durationS, where });
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(e.message);
      throw e;
    }
  }

  const searchPlan = search
    ? {
        resolution,
        maxIterations,
        lossTolerance,
        ...(maxLatencyMs !== undefined ? { maxLatencyS: maxLatencyMs / 1e3 } : {}),
      }
    : null;
  const bar = new ProgressBar('compare');
  process.stderr.write(
    `vnflab: comparing ${entry.name} ${variants.join(', ')} (${compose ? 'compose, via the controller' : `embedded, chain ${base.name}`}), ${trafficLine(searchPlan ? searchName(searchSettings(searchPlan)) : null, compose, rate, backend)}\n`,
  );
  let report: CompareReport;
  try {
    report = await runCompare(
      {
        stage: entry.name,
        variants,
        sizes,
        rate,
        ndr: searchPlan,
        warmupS,
        durationS,
        repeat,
      },
      backend,
      (p) =>
        bar.update({
          done: p.done,
          total: p.total,
          stepS: p.stepS,
          label: p.label,
          result: p.last ? resultLine(p.last) : undefined,
        }),
    );
  } catch (e) {
    bar.finish();
    if (e instanceof ConfigError) throw new UsageError(e.message);
    if (compose) throw new UsageError((e as Error).message);
    throw e;
  }
  bar.finish();
  if (compose) report.sizes = [...new Set(report.results.map((r) => r.size))];
  const files = writeReport(out, report);
  process.stdout.write(summaryTable(report) + '\n');
  process.stderr.write(`vnflab: wrote ${files.join(', ')}\n`);
  if (baseline) return regressionGate(report, baseline, f.baseline!, maxRegression!);
  return 0;
}

/** The report's form of a search plan (as runCompare writes it), for its name. */
function searchSettings(p: {
  lossTolerance: number;
  maxLatencyS?: number;
}): NonNullable<CompareReport['settings']['ndr']> {
  return {
    resolution: 0,
    max_iterations: 0,
    ...(p.lossTolerance ? { loss_tolerance: p.lossTolerance === Infinity ? null : p.lossTolerance } : {}),
    ...(p.maxLatencyS !== undefined ? { max_latency_s: p.maxLatencyS } : {}),
  };
}

/** Exit 1 with one line per figure worse than the baseline by more than the limit, else 0. */
function regressionGate(report: CompareReport, baseline: CompareReport, path: string, maxPct: number): number {
  const check = findRegressions(report, baseline, maxPct);
  for (const u of check.unmatched) process.stderr.write(`vnflab: baseline ${path} has no ${u}: not compared\n`);
  for (const r of check.regressions) process.stderr.write(`vnflab: regressed: ${r.line}\n`);
  if (check.regressions.length) return 1;
  process.stderr.write(
    `vnflab: no figure regressed beyond ${maxPct} % against ${path} (${check.compared} figures compared)\n`,
  );
  return 0;
}
