// Records in, records out: a fake outbox (the runtime seam, not a component) and batches whose
// deliver() records what the server consumed, for testing the web server without a chain.

import { Batch, Costs, StageStats, loadProfile, silentLogger, type ElementContext } from '@vnflab/core';
import { RECORD_HEADER_LEN, RecordOp, RecordView, readRecord, writeRecordHeader, type RecordOutbox } from '../src';
import type { WebServer } from '../src';

export function rec(op: RecordOp, fd: number, conn: number, payload?: string | Buffer): Buffer {
  const p =
    payload === undefined ? Buffer.alloc(0) : Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'latin1');
  const b = Buffer.alloc(RECORD_HEADER_LEN + p.length);
  writeRecordHeader(b, 0, op, fd, conn);
  p.copy(b, RECORD_HEADER_LEN);
  return b;
}

export class FakeOutbox implements RecordOutbox {
  readonly batches: Batch[] = [];
  forward(): Batch {
    throw new Error('the web server sends nothing forward: its answers go back toward the client');
  }
  back(): Batch {
    let b = this.batches[this.batches.length - 1];
    if (b === undefined || b.full) {
      b = Batch.allocate(8);
      this.batches.push(b);
    }
    return b;
  }
  /** Every record sent, in order, and forgets them. */
  take(): { op: number; fd: number; conn: number; payload: string }[] {
    const out: { op: number; fd: number; conn: number; payload: string }[] = [];
    const v = new RecordView();
    for (const b of this.batches)
      for (let i = 0; i < b.count; i++) {
        expect(readRecord(b.buf, b.offset(i), b.length(i), v)).toBeNull();
        out.push({
          op: v.op,
          fd: v.fd,
          conn: v.conn,
          payload: b.buf.toString('latin1', v.payloadOff, v.payloadOff + v.payloadLen),
        });
      }
    this.batches.length = 0;
    return out;
  }
}

export interface Harness {
  ctx: ElementContext & { out: FakeOutbox };
  out: FakeOutbox;
  /** Runs one batch of records through the server; the slots it delivered and the drops by reason. */
  run(records: Buffer[]): { delivered: number[]; drops: Record<string, number> };
  events(): Record<string, number>;
}

export function harness(ws: WebServer): Harness {
  const out = new FakeOutbox();
  const stats = new StageStats('web-server', ws.variant);
  const ctx = { stats, costs: new Costs(loadProfile('zero')), log: silentLogger, out };
  return {
    ctx,
    out,
    run(records) {
      const b = Batch.allocate(Math.max(1, records.length), 16384);
      for (const r of records) {
        const i = b.append(r.length);
        r.copy(b.buf, b.offset(i));
      }
      const delivered: number[] = [];
      Object.defineProperty(b, 'deliver', { value: (i: number) => delivered.push(i) });
      const before = stats.dropsByReason();
      ws.process(b, ctx);
      b.compact((reason) => stats.drop(reason));
      const drops: Record<string, number> = {};
      for (const [k, v] of Object.entries(stats.dropsByReason()))
        if (v !== (before[k] ?? 0)) drops[k] = v - (before[k] ?? 0);
      return { delivered, drops };
    },
    events: () => stats.eventsByName(),
  };
}
