// A progress bar on stderr for long commands: on a terminal one line redrawn in place (with the
// elapsed time and an ETA that keeps ticking during a long step); elsewhere (logs, CI) one
// plain line per finished step, so the output stays readable in a file.

export interface ProgressUpdate {
  done: number;
  total: number;
  /** Nominal seconds per step, for the ETA before the first step has finished. */
  stepS: number;
  label: string;
  /** A short result of the step just finished, for the non-TTY line. */
  result?: string;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

type Out = { write(s: string): boolean; isTTY?: boolean; columns?: number };

export class ProgressBar {
  private readonly t0 = performance.now();
  private last: ProgressUpdate = { done: 0, total: 0, stepS: 0, label: '' };
  private lastDone = -1;
  private timer?: NodeJS.Timeout;
  private readonly tty: boolean;

  constructor(
    private readonly name: string,
    private readonly out: Out = process.stderr,
    tty?: boolean,
  ) {
    this.tty = tty ?? Boolean(out.isTTY);
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 500);
      this.timer.unref();
    }
  }

  /** Seconds left: measured pace once a step is done, the nominal step time before. */
  eta(p: ProgressUpdate = this.last): number {
    const elapsed = (performance.now() - this.t0) / 1e3;
    const left = Math.max(0, p.total - p.done);
    return p.done > 0 ? (elapsed / p.done) * left : left * p.stepS;
  }

  update(p: ProgressUpdate): void {
    this.last = p;
    if (this.tty) return this.draw();
    if (p.done !== this.lastDone) {
      this.lastDone = p.done;
      const pctDone = p.total > 0 ? Math.round((100 * p.done) / p.total) : 0;
      const what =
        p.done === 0
          ? `${p.total} steps of about ${formatDuration(p.stepS)} each`
          : `${p.label}${p.result ? `: ${p.result}` : ''}`;
      this.out.write(`${this.name}: [${p.done}/${p.total}] ${pctDone}% ${what}, ETA ${formatDuration(this.eta(p))}\n`);
    }
  }

  private draw(): void {
    const p = this.last;
    const width = 24;
    const f = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
    const bar = '#'.repeat(Math.round(f * width)).padEnd(width, '.');
    const elapsed = (performance.now() - this.t0) / 1e3;
    let line = `${this.name} [${bar}] ${p.done}/${p.total} ${formatDuration(elapsed)} elapsed, ETA ${formatDuration(this.eta(p))}  ${p.label}`;
    const cols = this.out.columns ?? 100;
    if (line.length > cols - 1) line = line.slice(0, cols - 2) + '…';
    this.out.write(`\r\x1b[2K${line}`);
  }

  /** Ends the bar (a TTY gets its line finished). */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) {
      this.draw();
      this.out.write('\n');
    }
  }
}
