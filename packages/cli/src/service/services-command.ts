// `vnflab run --bus URL`: the command-line side of a run as services — Ctrl-C, the summary, the
// JSON file, exit codes and /metrics, exactly as the embedded run has them (run-command.ts).

import { LogHistogram, StageStats, createMetricsRegistry, mergeStats, type ChainStage, type ResolvedChain } from '@vnflab/core';
import type { FastifyInstance } from 'fastify';
import { startMetricsServer } from '../metrics-server';
import { finishRun, formatSummary } from '../summary-table';
import { num } from '../usage-error';
import { runMultiProcess } from './multi-process-run';

export interface ServicesFlags {
  bus?: string;
  json?: string;
  quiet?: boolean;
  capture?: string;
  'log-file'?: string;
  'metrics-port'?: string;
}

/** One Prometheus view of the run: each stage's replicas summed (their own /metrics stay per instance). */
function perStage(chain: ResolvedChain, rows: ChainStage[]): { stats: StageStats[]; e2e: LogHistogram } {
  const e2e = new LogHistogram();
  const stats = chain.stages.map((s) => {
    const m = new StageStats(s.stage, s.variant, s.name);
    for (const r of rows) {
      if (r.stats.instance !== s.name && !r.stats.instance.startsWith(`${s.name}-`)) continue;
      if (r.stage !== s.stage) continue;
      mergeStats(m, r.stats);
      m.variant = r.variant;
      const h = (r.element as { e2e?: LogHistogram }).e2e;
      if (h) e2e.merge(h);
    }
    return m;
  });
  return { stats, e2e };
}

export async function runServicesCommand(chain: ResolvedChain, f: ServicesFlags): Promise<number> {
  const metricsPort = num('metrics-port', f['metrics-port'], { min: 0, max: 65535, integer: true });
  let stop: (() => void) | undefined;
  let stops = 0;
  const onSigint = (): void => {
    if (++stops > 1) {
      process.stderr.write('vnflab: second Ctrl-C, exiting without the summary (stage processes get SIGTERM from their terminal)\n');
      process.exit(130);
    }
    process.stderr.write('\nvnflab: stopping the generator; the stages drain what is in flight (Ctrl-C again to abort)\n');
    stop?.();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let metricsApp: FastifyInstance | undefined;
  try {
    const summary = await runMultiProcess(chain, {
      busUrl: f.bus!,
      live: !f.quiet,
      capture: f.capture,
      logFile: f['log-file'],
      onStart: async (s, rows) => {
        stop = s;
        const tg = chain.stages[0].settings;
        if (!tg.count && !tg.duration && !tg.pcap_in) process.stderr.write('vnflab: running until Ctrl-C\n');
        if (metricsPort !== undefined) {
          metricsApp = await startMetricsServer(
            createMetricsRegistry({
              stages: () => perStage(chain, rows).stats,
              e2e: () => [{ chain: chain.name, variant: chain.stages.slice(1, -1).map((st) => st.variant).join('+') || 'direct', hist: perStage(chain, rows).e2e }],
            }),
            metricsPort,
          );
          process.stderr.write(`vnflab: metrics of the whole run on http://localhost:${metricsPort}/metrics (each stage also serves its own)\n`);
        }
      },
    });
    process.stdout.write(formatSummary(summary) + '\n');
    const restarts = Object.entries(summary.restarts).map(([i, n]) => `${i} ${n}`);
    const left = summary.stages.filter((st) => st.left).map((st) => st.instance);
    process.stdout.write(`services on ${summary.bus.url} (run ${summary.bus.run})${restarts.length ? `; restarted: ${restarts.join(', ')}` : ''}${left.length ? `; drained and left: ${left.join(', ')}` : ''}\n`);
    return finishRun(summary, f.json);
  } finally {
    await metricsApp?.close();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
