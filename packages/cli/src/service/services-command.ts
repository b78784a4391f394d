// `vnflab run --bus URL`: the command-line side of a run as services — Ctrl-C, the live table,
// the summary, the JSON file and exit codes, exactly as the embedded run has them (run-command.ts).
// The processes are run by @vnflab/runtime's runMultiProcess.

import { join } from 'node:path';
import type { ResolvedChain } from '@vnflab/core';
import { num, runMultiProcess } from '@vnflab/runtime';
import { LiveTable } from '../live-table';
import { finishRun, formatSummary } from '../summary-table';

/** This command, which the children run as `vnflab serve`. */
const VNFLAB_BIN = join(__dirname, '..', '..', 'bin', 'vnflab.js');

export interface ServicesFlags {
  bus?: string;
  json?: string;
  quiet?: boolean;
  capture?: string;
  'log-file'?: string;
  'metrics-port'?: string;
  host?: string;
}

export async function runServicesCommand(chain: ResolvedChain, f: ServicesFlags): Promise<number> {
  const metricsPort = num('metrics-port', f['metrics-port'], { min: 0, max: 65535, integer: true });
  let stop: (() => void) | undefined;
  let stops = 0;
  // a Ctrl-C while the stages are still starting (tens of seconds on a loaded machine) is kept
  // and carried out once the generator runs, rather than lost
  let stopRequested = false;
  const onSigint = (): void => {
    if (++stops > 1) {
      process.stderr.write(
        'vnflab: second Ctrl-C, exiting without the summary (the stage processes see it and drain by themselves)\n',
      );
      process.exit(130);
    }
    process.stderr.write(
      '\nvnflab: stopping the generator; the stages drain what is in flight (Ctrl-C again to abort)\n',
    );
    stopRequested = true;
    stop?.();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let table: LiveTable | undefined;
  try {
    const summary = await runMultiProcess(chain, {
      busUrl: f.bus!,
      bin: VNFLAB_BIN,
      capture: f.capture,
      logFile: f['log-file'],
      metricsPort,
      metricsHost: f.host,
      onTick: (elapsedS) => table?.tick(elapsedS),
      onStart: (s, rows) => {
        stop = s;
        if (stopRequested) s();
        if (!f.quiet) table = new LiveTable(rows);
        const tg = chain.stages[0].settings;
        if (!tg.count && !tg.duration && !tg.pcap_in) process.stderr.write('vnflab: running until Ctrl-C\n');
        if (metricsPort !== undefined)
          process.stderr.write(
            `vnflab: metrics of the whole run on http://localhost:${metricsPort}/metrics (each stage also serves its own)\n`,
          );
      },
    });
    process.stdout.write(formatSummary(summary) + '\n');
    const restarts = Object.entries(summary.restarts).map(([i, n]) => `${i} ${n}`);
    const left = summary.stages.filter((st) => st.left).map((st) => st.instance);
    process.stdout.write(
      `services on ${summary.bus.url} (run ${summary.bus.run})${restarts.length ? `; restarted: ${restarts.join(', ')}` : ''}${left.length ? `; drained and left: ${left.join(', ')}` : ''}\n`,
    );
    return finishRun(summary, f.json);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
