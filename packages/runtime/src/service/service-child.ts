// One `vnflab serve` child of `vnflab run --bus`: spawns it, learns its port from its
// "listening" log line, keeps its final stats line, reads its /stats, and restarts it with the
// same identity (instance name, so it takes back its own pending batches and its ledger).

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ServiceStatsJson } from './service-stats';

/**
 * Node flags for a stage process. `--single-threaded-gc`: V8 otherwise hands parts of each
 * collection to helper threads (parallel scavenging, concurrent marking) and the pause waits for
 * them; with six processes on two cores a helper often waits for a core, and the batches in the
 * paused stage wait with it. Measured (bench/RESULTS.md, "Garbage collection in a stage
 * process"): the chain's end-to-end p99 on Redis 14-16 against 19-20 ms at 200 packets/s, and
 * 42-63 against 76-80 ms at 10 kpps, with the same CPU. The images' ENTRYPOINT passes it too.
 */
export const STAGE_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];

export interface ChildHooks {
  /** Every line the child writes (its pino JSON logs, and stderr). */
  line?(child: ServiceChild, line: string): void;
  exit?(child: ServiceChild, code: number | null, signal: NodeJS.Signals | null): void;
}

export class ServiceChild {
  proc: ChildProcess | null = null;
  port = 0;
  restarts = 0;
  /** Set when we asked it to stop, so its exit is not taken for a crash. */
  stopping = false;
  /** It left on its own with exit 0 (drained) and is not coming back. */
  left = false;
  /** The latest /stats read, or its final stats line. */
  last: ServiceStatsJson | null = null;
  private readonly recent: string[] = [];
  private listening?: Promise<void>;
  private exited?: Promise<void>;

  /** @param bin the `vnflab` command, run with node as `<bin> serve <args>` */
  constructor(
    private readonly bin: string,
    readonly instance: string,
    readonly index: number,
    readonly replica: number,
    private readonly args: string[],
    private readonly hooks: ChildHooks = {},
    /** Environment for the child on top of ours: secrets (the bus URL) go here, never in `args` (ps shows argv). */
    private readonly env: Record<string, string> = {},
  ) {}

  get pid(): number {
    return this.proc?.pid ?? 0;
  }

  get alive(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Spawns the child; resolves once it serves HTTP. */
  start(): Promise<void> {
    this.port = 0;
    this.stopping = false;
    // stdin is a pipe the child watches: if this process dies, the child drains and exits. Its own
    // process group (detached): a Ctrl-C in the terminal reaches only this supervisor, which
    // stops the children in order, instead of every child at once
    const proc = spawn(process.execPath, [...STAGE_NODE_FLAGS, this.bin, 'serve', ...this.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, ...this.env, VNFLAB_EXIT_WITH_PARENT: '1' },
    });
    this.proc = proc;
    let onListening!: () => void;
    let onFail!: (e: Error) => void;
    this.listening = new Promise<void>((resolve, reject) => {
      onListening = resolve;
      onFail = reject;
    });
    this.exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const take = (line: string): void => {
      this.recent.push(line);
      if (this.recent.length > 40) this.recent.shift();
      this.hooks.line?.(this, line);
      if (line[0] !== '{') return;
      let j: { msg?: string; port?: number; final_stats?: ServiceStatsJson };
      try {
        j = JSON.parse(line);
      } catch {
        return;
      }
      if (j.msg === 'listening' && typeof j.port === 'number') {
        this.port = j.port;
        onListening();
      }
      if (j.final_stats) this.last = j.final_stats;
    };
    createInterface({ input: proc.stdout! }).on('line', take);
    createInterface({ input: proc.stderr! }).on('line', take);
    proc.once('exit', (code, signal) => {
      onFail(
        new Error(
          `${this.instance} exited (${signal ?? `code ${code}`}) before serving:\n${this.recent.slice(-10).join('\n')}`,
        ),
      );
      this.hooks.exit?.(this, code, signal);
    });
    return this.listening;
  }

  /** The last lines it wrote (for an error report). */
  tail(n = 10): string {
    return this.recent.slice(-n).join('\n');
  }

  async fetchStats(timeoutMs = 2000): Promise<ServiceStatsJson | null> {
    if (!this.alive || !this.port) return null;
    try {
      const r = await fetch(`http://127.0.0.1:${this.port}/stats`, { signal: AbortSignal.timeout(timeoutMs) });
      if (!r.ok) return null;
      const j = (await r.json()) as ServiceStatsJson;
      this.last = j;
      return j;
    } catch {
      return null;
    }
  }

  /** Asks it to drain and exit; kills it if it has not exited after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.alive) return;
    this.stopping = true;
    this.proc!.kill('SIGTERM');
    const timer = setTimeout(() => this.proc?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.alive) {
      this.stopping = true;
      this.proc!.kill('SIGKILL');
    }
  }
}
