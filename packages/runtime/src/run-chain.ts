// The embedded run: a resolved chain in one process on the in-memory bus, with an optional
// capture of what the backends received, /metrics and the stages' control routes, to the end of
// the drain; then the summary.

import { randomBytes } from 'node:crypto';
import {
  createMetricsRegistry,
  openCaptureWriter,
  readRunQueue,
  type Element,
  type PcapWriter,
  type ResolvedChain,
  type StageRegistry,
} from '@vnflab/core';
import { CaptureTap } from './capture-tap';
import { EmbeddedChain } from './embedded-chain';
import { startMetricsServer } from './metrics-server';
import { summarize, type RunSummary } from './summary';
import { UsageError } from './usage-error';
import { checkedControlToken } from './control-token';

/** The control token: VNFLAB_CONTROL_TOKEN, or a random one so writes are never open. */
export function controlToken(): string {
  return checkedControlToken() ?? randomBytes(12).toString('hex');
}

export interface RunResult {
  summary: RunSummary;
  chain: EmbeddedChain;
}

export interface RunChainOptions {
  /** pcap of what the last stage received */
  capture?: string;
  metricsPort?: number;
  /** Address the metrics server listens on (default 127.0.0.1). */
  metricsHost?: string;
  /** Called once the chain is built, before it starts. */
  onStart?: (c: EmbeddedChain) => void;
  /** Called every second while it runs (the live table). */
  onTick?: (elapsedS: number) => void;
}

/** Runs a resolved chain to completion (or until stop), returning the summary. */
export async function runChain(
  chain: ResolvedChain,
  registry: StageRegistry,
  opts: RunChainOptions = {},
): Promise<RunResult> {
  const ec = new EmbeddedChain(chain, registry);
  const sink = ec.stages[ec.stages.length - 1];
  if (opts.capture) {
    let w: PcapWriter;
    try {
      w = openCaptureWriter(opts.capture);
    } catch (e) {
      throw new UsageError(
        `--capture: cannot write ${opts.capture}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    sink.element = new CaptureTap(sink.element as Element, w);
  }
  // only a served run has writes to guard: a token set for other commands does not stop a plain run
  const token = opts.metricsPort !== undefined ? controlToken() : '';
  const mounts = ec.stages.flatMap((s) => {
    const m = registry.get(s.stage).controlRoutes?.(s.element);
    return m ? [m] : [];
  });
  const metricsApp =
    opts.metricsPort !== undefined
      ? await startMetricsServer(
          createMetricsRegistry({
            stages: () => ec.stages.map((s) => s.stats),
            e2e: () =>
              [
                {
                  chain: chain.name,
                  variant:
                    ec.stages
                      .slice(1, -1)
                      .map((s) => s.variant)
                      .join('+') || 'direct',
                  hist: (sink.element as Element).e2e!,
                },
              ].filter((x) => x.hist),
            extra: () => ec.stages.flatMap((s) => (s.element as Element).metrics?.() ?? []),
            declared: ec.stages.flatMap((s) => registry.get(s.stage).metrics ?? []),
          }),
          opts.metricsPort,
          { mounts, token },
          opts.metricsHost,
        )
      : undefined;
  if (metricsApp && mounts.length && !process.env.VNFLAB_CONTROL_TOKEN) {
    process.stderr.write(
      `vnflab: control API ${mounts.map((m) => m.prefix).join(', ')} on port ${opts.metricsPort}; token ${token} (set VNFLAB_CONTROL_TOKEN to choose it)\n`,
    );
  }
  const started = performance.now();
  const onTick = opts.onTick;
  const timer = onTick ? setInterval(() => onTick((performance.now() - started) / 1e3), 1000) : undefined;
  opts.onStart?.(ec);
  const rq0 = readRunQueue();
  try {
    await ec.start();
  } finally {
    if (timer) clearInterval(timer);
    await metricsApp?.close();
  }
  const rq1 = readRunQueue();
  const summary = summarize(chain.name, chain.profile, ec.stages, ec.elapsedSeconds(), undefined, chain.loop);
  if (rq0 && rq1)
    summary.run_queue = { wait_seconds: (rq1.waitNs - rq0.waitNs) / 1e9, periods: rq1.periods - rq0.periods };
  return { summary, chain: ec };
}
