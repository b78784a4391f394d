// Drives `vnflab run --bus` and `vnflab serve` as child processes: follows the run's "started
// <instance> pid P port Q" lines, reads a stage's /stats and /readyz, writes test chain files
// whose middle stages come from chains/default.yaml (so they grow as stages are added).

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadChainFile } from '@vnflab/core';
import { createRegistry, type ServicesSummary } from '@vnflab/cli';
import { BIN, ROOT, type CliResult } from './cli';
import { waitFor } from './ports';

export interface Started {
  pid: number;
  port: number;
}

export class ServicesRun {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
  stdout = '';
  stderr = '';
  /** Latest pid and port of every instance (a restart replaces them). */
  readonly instances = new Map<string, Started>();
  readonly starts = new Map<string, number>();

  /** `detached`: the run leads a process group of its own, as a command in a terminal does (kill -INT -pid is a Ctrl-C). */
  constructor(args: string[], env: NodeJS.ProcessEnv = {}, opts: { detached?: boolean } = {}) {
    this.child = spawn(process.execPath, [BIN, 'run', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      detached: opts.detached ?? false,
    });
    let partial = '';
    this.child.stdout!.on('data', (d) => (this.stdout += d));
    this.child.stderr!.on('data', (d) => {
      this.stderr += d;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        const m = /^vnflab: started (\S+) pid (\d+) port (\d+)$/.exec(l);
        if (m) {
          this.instances.set(m[1], { pid: Number(m[2]), port: Number(m[3]) });
          this.starts.set(m[1], (this.starts.get(m[1]) ?? 0) + 1);
        }
      }
    });
    this.done = new Promise((resolve) =>
      this.child.on('close', (status) => resolve({ status, stdout: this.stdout, stderr: this.stderr })),
    );
  }

  /** Waits for the n-th start of an instance and returns its pid and port. */
  started(instance: string, n = 1, timeoutMs = 60000): Promise<Started> {
    return waitFor(
      `start ${n} of ${instance}`,
      async () => ((this.starts.get(instance) ?? 0) >= n ? this.instances.get(instance) : undefined),
      timeoutMs,
      50,
    );
  }
}

/** The JSON summary a finished `vnflab run --bus --json FILE` wrote; throws with its stderr when it failed. */
export async function finishedSummary<T = ServicesSummary>(run: ServicesRun, json: string): Promise<T> {
  const r = await run.done;
  if (r.status !== 0) throw new Error(`vnflab run --bus exited ${r.status}\n${r.stderr.slice(-3000)}`);
  return JSON.parse(readFileSync(json, 'utf8')) as T;
}

export async function stats(port: number): Promise<{
  service: { state: string; ready: boolean; pid: number };
  stats: { packets_in: number; packets_out: number };
  bus: Record<string, number>;
  process: { rss_bytes: number; heap_used_bytes: number; external_bytes: number };
}> {
  const r = await fetch(`http://127.0.0.1:${port}/stats`, { signal: AbortSignal.timeout(3000) });
  return r.json() as never;
}

export async function readyz(port: number): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3000) });
  return r.status;
}

/** The default chain's stages (names, variants, settings), to build test chains from. */
export function defaultStages(): { stage: string; name: string; variant: string; settings: Record<string, unknown> }[] {
  return loadChainFile(join(ROOT, 'chains', 'default.yaml'), createRegistry()).stages.map((s) => ({
    stage: s.stage,
    name: s.name,
    variant: s.variant,
    settings: s.settings,
  }));
}

/**
 * A chain file: the default chain's stages, the generator's settings replaced by `traffic`,
 * `replicas` per stage name, and the given profile and bus.
 */
export function writeChain(
  path: string,
  opts: {
    traffic: Record<string, unknown>;
    profile?: string;
    bound?: number;
    boundBytes?: number;
    policy?: 'block' | 'drop';
    replicas?: Record<string, number>;
  },
): string {
  const stages = defaultStages().map((s, i) => ({
    stage: s.stage,
    name: s.name,
    variant: s.variant,
    replicas: opts.replicas?.[s.name],
    settings: i === 0 ? { ...s.settings, ...opts.traffic } : s.settings,
  }));
  writeFileSync(
    path,
    JSON.stringify(
      {
        name: 'svc',
        profile: opts.profile ?? 'zero',
        batch_size: 64,
        bus: { bound: opts.bound ?? 16, bound_bytes: opts.boundBytes, policy: opts.policy ?? 'block' },
        stages,
      },
      null,
      2,
    ),
  );
  return path;
}

/** The stage a recovery test disturbs: the first middle stage, or the backends if there is none. */
export function victimStage(): string {
  const s = defaultStages();
  return s.length > 2 ? s[1].name : s[s.length - 1].name;
}
