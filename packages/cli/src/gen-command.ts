// `vnflab gen`: writes generated frames to a pcap without running a chain.

import { parseArgs } from 'node:util';
import {
  Batch,
  Costs,
  StageStats,
  loadProfile,
  openCaptureWriter,
  schemaErrors,
  silentLogger,
  wallTime,
  monoNs,
  type PcapWriter,
} from '@vnflab/core';
import { GeneratorSettingsSchema, TrafficGenerator } from '@vnflab/traffic-gen';
import { UsageError, num } from '@vnflab/runtime';
import { trafficOverrides } from './run-command';

export const GEN_USAGE =
  'vnflab gen --count N [--size B|imix] [--flows N] [--proto udp|tcp] [--distribution uniform|zipf] [--dst A.B.C.D:PORT] [--ns] [--big-endian] --out FILE';

export async function genCommand(argv: string[]): Promise<number> {
  const { values: f } = parseArgs({
    args: argv,
    strict: true,
    options: {
      count: { type: 'string' },
      size: { type: 'string' },
      flows: { type: 'string' },
      proto: { type: 'string' },
      distribution: { type: 'string' },
      dst: { type: 'string' },
      out: { type: 'string' },
      ns: { type: 'boolean' },
      'big-endian': { type: 'boolean' },
    },
  });
  if (!f.out) throw new UsageError('--out FILE is required');
  const count = num('count', f.count, { min: 1, max: 1e8, integer: true });
  if (count === undefined) throw new UsageError('--count N is required');
  const settings: Record<string, unknown> = {
    ...trafficOverrides({ size: f.size, flows: f.flows, proto: f.proto }),
    count,
  };
  if (f.distribution !== undefined) settings.distribution = f.distribution;
  if (f.dst !== undefined) settings.dst = f.dst;
  // the settings' keys are the flags' names, with - for _
  const errs = schemaErrors(GeneratorSettingsSchema, settings, '', 1);
  if (errs.length) throw new UsageError(errs[0].replace(/^[a-z_]+/, (k) => `--${k.replace(/_/g, '-')}`));
  let gen: TrafficGenerator;
  try {
    gen = new TrafficGenerator(settings);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let w: PcapWriter;
  try {
    w = openCaptureWriter(f.out, { resolution: f.ns ? 'ns' : 'us', byteOrder: f['big-endian'] ? 'be' : 'le' });
  } catch (e) {
    throw new UsageError(`--out: cannot write ${f.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const ctx = {
    stats: new StageStats('traffic-gen', gen.variant),
    costs: new Costs(loadProfile('zero')),
    log: silentLogger,
  };
  const b = Batch.allocate(256);
  while (!gen.done) {
    b.reset();
    const n = gen.fill(b, monoNs(), ctx);
    if (n === 0) break;
    const t = wallTime();
    for (let i = 0; i < b.count; i++) w.write(b.buf, b.offset(i), b.length(i), t.sec, t.nsec);
  }
  w.close();
  process.stderr.write(`vnflab: wrote ${w.packets} frames to ${f.out}\n`);
  return 0;
}
