// --capture: writes every packet the backends accepted to a pcap, after they processed it.

import { PcapWriter, wallTime, type Batch, type Element, type ElementContext } from '@vnflab/core';

export class CaptureTap implements Element {
  readonly stage: string;
  readonly variant: string;
  readonly e2e;
  // a loop chain's way back and timers pass through untouched (only the forward pass is captured)
  readonly processReturn?: Element['processReturn'];
  readonly tick?: Element['tick'];
  readonly tickIntervalMs?: number;

  constructor(
    private readonly inner: Element,
    readonly writer: PcapWriter,
  ) {
    this.stage = inner.stage;
    this.variant = inner.variant;
    this.e2e = inner.e2e;
    if (inner.processReturn) this.processReturn = inner.processReturn.bind(inner);
    if (inner.tick) this.tick = inner.tick.bind(inner);
    this.tickIntervalMs = inner.tickIntervalMs;
  }

  async process(batch: Batch, ctx: ElementContext): Promise<void> {
    const r = this.inner.process(batch, ctx);
    if (r) await r;
    const t = wallTime();
    for (let i = 0, n = batch.count; i < n; i++) {
      if (batch.alive(i)) this.writer.write(batch.buf, batch.offset(i), batch.length(i), t.sec, t.nsec);
    }
  }

  describe(): Record<string, unknown> {
    return { ...this.inner.describe?.(), captured: this.writer.packets, capture_file: this.writer.path };
  }

  metrics() {
    return this.inner.metrics?.() ?? [];
  }

  async close(): Promise<void> {
    this.writer.close();
    await this.inner.close?.();
  }
}
