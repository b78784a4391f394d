// One open CPU measurement that changes category as the work changes hands: TCP's input runs as
// `protocol`, and inside it the transmit path takes an sk_buff (`alloc`) or hands a frame to the
// lab's transport (`bus`). The meter has no nesting (packages/core/src/cpu/cpu-meter.ts), so the
// inner step closes the running slice, is timed itself, and the outer category resumes: every
// nanosecond is billed once, to the category of the work that spent it.

import type { CpuMeter } from '@vnflab/core';

export class CpuSplit {
  private cpu: CpuMeter | null = null;
  private t = 0;
  private cat = 0;

  get open(): boolean {
    return this.cpu !== null;
  }

  /** Starts measuring as `cat`. */
  begin(cpu: CpuMeter, cat: number): void {
    this.cpu = cpu;
    this.cat = cat;
    this.t = cpu.begin();
  }

  /** Bills the time so far to the current category and goes on as `cat`; returns the previous one. */
  switchTo(cat: number): number {
    const prev = this.cat;
    if (this.cpu !== null) this.t = this.cpu.end(prev, this.t);
    this.cat = cat;
    return prev;
  }

  /** Bills the last slice and closes the measurement. */
  end(): void {
    if (this.cpu === null) return;
    this.cpu.end(this.cat, this.t);
    this.cpu = null;
  }
}
