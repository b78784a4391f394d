// A real redis-server for a test, on a free port, without persistence (so a restart forgets
// everything, as the recovery tests need). Stop, kill and start again on the same port.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort, waitFor } from './ports';

export const REDIS_SERVER = '/usr/bin/redis-server';

export class TestRedis {
  proc: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
  ) {}

  /** `extraArgs`: more redis-server options, e.g. `--maxmemory 20mb`. */
  static async start(extraArgs: string[] = []): Promise<TestRedis> {
    return TestRedis.onPort(await freePort(), extraArgs);
  }

  static async onPort(port: number, extraArgs: string[] = []): Promise<TestRedis> {
    const r = new TestRedis(port, extraArgs);
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) on its port and waits until it answers. */
  async up(): Promise<void> {
    this.proc = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
        ...this.extraArgs,
      ],
      { stdio: 'ignore' },
    );
    await waitFor('redis-server', async () => (this.cli('PING').trim() === 'PONG' ? true : undefined), 10000, 50);
  }

  /** Runs a redis-cli command and returns its output (authenticated when the server has `--requirepass`). */
  cli(...args: string[]): string {
    const pw = this.extraArgs[this.extraArgs.indexOf('--requirepass') + 1];
    const env = this.extraArgs.includes('--requirepass') ? { ...process.env, REDISCLI_AUTH: pw } : process.env;
    return spawnSync('redis-cli', ['-p', String(this.port), ...args], { encoding: 'utf8', env }).stdout ?? '';
  }

  /** Kills it at once (no save, no goodbye): everything it held is gone. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
    this.proc = null;
  }

  async stop(): Promise<void> {
    await this.kill();
  }

  usedMemory(): number {
    const m = /used_memory:(\d+)/.exec(this.cli('INFO', 'memory'));
    return m ? Number(m[1]) : NaN;
  }
}
