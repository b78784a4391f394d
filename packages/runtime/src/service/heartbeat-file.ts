// A heartbeat file for container healthchecks: while the process is healthy it touches a file
// every second, and the healthcheck is a file-age test in the shell (`find FILE -mmin -0.1`, see
// scripts/generate-deploy.js), which costs a fork of find instead of starting Node to fetch
// /readyz (100-200 ms of CPU per check per container). Unhealthy, it stops touching, so the file
// ages past the check's limit as /readyz would answer 503. Off unless VNFLAB_HEARTBEAT_FILE names
// the file (the images set it; processes sharing one host's /tmp would share the file).

import { utimes, writeFile } from 'node:fs/promises';

export const HEARTBEAT_ENV = 'VNFLAB_HEARTBEAT_FILE';
/** Touches per healthy second: the healthcheck allows 6 s, so a beat or two may be late. */
export const HEARTBEAT_INTERVAL_MS = 1000;

export class HeartbeatFile {
  /** Touches made (the file's age is the time since the last). */
  beats = 0;
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    readonly path: string,
    private readonly healthy: () => boolean | Promise<boolean>,
    readonly intervalMs = HEARTBEAT_INTERVAL_MS,
  ) {}

  /** Beats now and then every interval; the timer never keeps the process alive. */
  start(): this {
    if (this.timer) return this;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One beat: touches the file if healthy. A failed write is retried by the next beat. */
  async beat(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (!(await this.healthy())) return;
      const now = new Date();
      await utimes(this.path, now, now).catch(() => writeFile(this.path, ''));
      this.beats++;
    } catch {
      /* unwritable now: the file ages and the check fails, as it should */
    } finally {
      this.busy = false;
    }
  }
}

/** A started HeartbeatFile at $VNFLAB_HEARTBEAT_FILE, or null when it is not set. */
export function heartbeatFromEnv(
  healthy: () => boolean | Promise<boolean>,
  env: NodeJS.ProcessEnv = process.env,
): HeartbeatFile | null {
  const path = env[HEARTBEAT_ENV];
  return path ? new HeartbeatFile(path, healthy).start() : null;
}
