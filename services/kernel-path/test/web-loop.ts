// The web workload's loop driven by hand: a real TCP client (@vnflab/tcp, client role) opening
// short HTTP/1.0 connections, kernel-path with stack tcp, and the web-server stage, with the
// outboxes and deliver() of the closed-loop runtime played by this file. Every batch is compacted
// as the stage runner does, so what each hop delivered and dropped is counted both ways.

import { performance } from 'node:perf_hooks';
import {
  Batch,
  Cat,
  Costs,
  PcapWriter,
  StageStats,
  ipFromString,
  loadProfile,
  monoNs,
  processBilledNs,
  DELIVERED,
  reasonName,
  silentLogger,
  type ElementContext,
} from '@vnflab/core';
import { TcpEndpoint, type FrameSlot, type TcpEvents, type TcpSink, CloseReason } from '@vnflab/tcp';
import { WebServer } from '@vnflab/web-server';
import { KernelPath, SERVER_IP } from '../src';

/** Batches reused as the runtime's pool reuses them (no allocation per pass to blur the CPU figures). */
const pool: Batch[] = [];
function getBatch(): Batch {
  const b = pool.pop();
  if (b) return b;
  return Batch.allocate(64);
}
function release(b: Batch): void {
  b.reset();
  pool.push(b);
}

/** ctx.out: batches an element fills, taken by the driver. */
export class Outbox {
  fwd: Batch[] = [];
  bk: Batch[] = [];
  forward(): Batch {
    return this.cur(this.fwd);
  }
  back(): Batch {
    return this.cur(this.bk);
  }
  private cur(list: Batch[]): Batch {
    const last = list[list.length - 1];
    if (last && !last.full) return last;
    const b = getBatch();
    list.push(b);
    return b;
  }
  take(which: 'fwd' | 'bk'): Batch[] {
    const out = this[which];
    this[which] = [];
    return out;
  }
}

/** Per hop: packets in, delivered there, dropped there by reason. */
export class Hop {
  in = 0;
  delivered = 0;
  drops: Record<string, number> = {};
  count(b: Batch): void {
    b.compact((reason) => {
      if (reason === DELIVERED) this.delivered++;
      else this.drops[reasonName(reason)] = (this.drops[reasonName(reason)] ?? 0) + 1;
    });
  }
  get dropped(): number {
    return Object.values(this.drops).reduce((a, b) => a + b, 0);
  }
}

export const CLIENT_IP = ipFromString('10.0.0.1');
export const REQUEST =
  'GET /index.html HTTP/1.0\r\nHost: 10.0.0.100\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n';

/** An ApacheBench-like client: connects, sends the GET, reads the answer, closes after the server. */
export class Client implements TcpEvents, TcpSink {
  readonly tcp: TcpEndpoint;
  readonly out: Buffer[] = [];
  private readonly scratch = Buffer.alloc(2048);
  readonly got = new Map<number, Buffer[]>();
  /** Transactions complete: a 200 with the whole body, both FINs acknowledged. */
  done = 0;
  bad: string[] = [];
  resets = 0;
  /** What to send once connected (default the GET); null sends nothing. */
  request: string | null = REQUEST;
  /** Virtual time added to the real clock (retransmission timers in tests). */
  skewNs = 0;
  /** A flooder: what comes back is not taken (its SYNs stay half-open at the server). */
  deaf = false;

  constructor(ip = CLIENT_IP, settings: Record<string, unknown> = {}) {
    this.tcp = new TcpEndpoint({ localIp: ip, maxConnections: 4096, poolSegments: 4096, ...settings }, this, this);
  }

  now(): number {
    return monoNs() + this.skewNs;
  }

  open(n: number): number[] {
    const ids: number[] = [];
    for (let k = 0; k < n; k++) ids.push(this.tcp.connect(SERVER_IP, 80, this.now()));
    return ids;
  }

  reserve(_len: number, slot: FrameSlot): boolean {
    slot.buf = this.scratch;
    slot.off = 0;
    return true;
  }
  commit(_slot: FrameSlot, len: number): void {
    this.out.push(Buffer.from(this.scratch.subarray(0, len)));
  }
  connected(conn: number): void {
    this.got.set(conn, []);
    if (this.request !== null) {
      const r = Buffer.from(this.request, 'latin1');
      this.tcp.send(conn, r, 0, r.length, this.now());
    }
  }
  acceptReady(): void {}
  data(conn: number, buf: Uint8Array, off: number, len: number): void {
    this.got.get(conn)?.push(Buffer.from(buf.subarray(off, off + len)));
  }
  peerClosed(conn: number): void {
    this.tcp.close(conn, this.now());
  }
  closed(conn: number, reason: number): void {
    if (reason === CloseReason.reset) this.resets++;
    const text = Buffer.concat(this.got.get(conn) ?? []).toString('latin1');
    this.got.delete(conn);
    if (reason !== CloseReason.normal) return;
    const [head, body] = text.split('\r\n\r\n');
    if (head?.startsWith('HTTP/1.0 200 OK') && body?.length === 64 && /Content-Length: 64\r\n/.test(head)) this.done++;
    else this.bad.push(text.slice(0, 60));
  }
  input(f: Buffer): number {
    if (this.deaf) return 0;
    return this.tcp.input(f, 0, f.length, this.now());
  }
}

export interface WebLoop {
  kp: KernelPath;
  web: WebServer;
  kctx: ElementContext & { out: Outbox };
  wctx: ElementContext & { out: Outbox };
  /** Segments client -> kernel-path, records kernel-path -> web-server, records back, segments back. */
  seg: Hop;
  recFwd: Hop;
  recBack: Hop;
  segBack: { in: number; toClient: number; verdicts: Record<string, number> };
  passes: number;
  /** One turn of the loop: the clients' frames in, records across, answers back, frames to their client. */
  step(): Promise<boolean>;
  pcap?: PcapWriter;
}

/**
 * Builds the loop. `clients` get the frames addressed to their IP; `pcap` records every frame
 * both ways, in the order they cross the wire.
 */
export function webLoop(
  variant: string,
  settings: Record<string, unknown>,
  clients: Client[],
  opts: { profile?: string; pcap?: string; extra?: (b: Buffer[]) => void } = {},
): WebLoop {
  const kp = new KernelPath(variant, settings, [80]);
  const web = new WebServer('lighttpd', {});
  const costs = new Costs(loadProfile(opts.profile ?? 'zero'));
  const kctx = { stats: new StageStats('kernel-path', variant), costs, log: silentLogger, out: new Outbox() };
  const wctx = { stats: new StageStats('web-server', 'lighttpd'), costs, log: silentLogger, out: new Outbox() };
  const pcap = opts.pcap ? new PcapWriter(opts.pcap) : undefined;
  const write = (f: Buffer): void => {
    const ns = monoNs();
    pcap?.write(f, 0, f.length, Math.floor(ns / 1e9), Math.round(ns % 1e9));
  };
  const L: WebLoop = {
    kp,
    web,
    kctx,
    wctx,
    seg: new Hop(),
    recFwd: new Hop(),
    recBack: new Hop(),
    segBack: { in: 0, toClient: 0, verdicts: {} },
    passes: 0,
    pcap,
    async step() {
      let moved = false;
      const frames: Buffer[] = [];
      for (const c of clients) frames.push(...c.out.splice(0));
      if (frames.length > 0) {
        moved = true;
        for (let at = 0; at < frames.length; at += 64) {
          const b = getBatch();
          for (const f of frames.slice(at, at + 64)) {
            write(f);
            const i = b.append(f.length);
            f.copy(b.buf, b.offset(i));
          }
          L.seg.in += b.count;
          L.passes++;
          await billed(kctx, Cat.bus, () => kp.process(b, kctx));
          L.seg.count(b);
          if (b.count !== 0) throw new Error('kernel-path passed a segment on'); // an endpoint terminates them
          release(b);
        }
      }
      // records forward to the application and its answers back, until both sides are quiet
      for (let turn = 0; turn < 16; turn++) {
        const fwd = kctx.out.take('fwd');
        if (fwd.length === 0) break;
        moved = true;
        for (const rb of fwd) {
          L.recFwd.in += rb.count;
          await billed(wctx, Cat.app, () => web.process(rb, wctx));
          L.recFwd.count(rb);
          release(rb);
        }
        for (const rb of wctx.out.take('bk')) {
          L.recBack.in += rb.count;
          await billed(kctx, Cat.bus, () => kp.processReturn!(rb, kctx));
          L.recBack.count(rb);
          if (rb.count !== 0) throw new Error('kernel-path passed a record on');
          release(rb);
        }
      }
      for (const fb of kctx.out.take('bk')) {
        for (let i = 0; i < fb.count; i++) {
          moved = true;
          const f = Buffer.from(fb.buf.subarray(fb.offset(i), fb.offset(i) + fb.length(i)));
          write(f);
          L.segBack.in++;
          opts.extra?.([f]);
          const dst = f.readUInt32BE(14 + 16);
          const c = clients.find((x) => x.tcp.settings.localIp === dst);
          if (!c) continue;
          L.segBack.toClient++;
          const v = c.input(f);
          const name = v === 0 ? 'consumed' : reasonName(v);
          L.segBack.verdicts[name] = (L.segBack.verdicts[name] ?? 0) + 1;
        }
        release(fb);
      }
      return moved;
    },
  };
  return L;
}

/**
 * Runs one pass of an element as the stage runner bills it: what the element did not bill itself
 * goes to the stage's default category (kernel-path: bus, web-server: app).
 */
async function billed(ctx: ElementContext, defaultCat: number, pass: () => void | Promise<void>): Promise<void> {
  const t0 = performance.now();
  const before = processBilledNs();
  await pass();
  const unbilled = (performance.now() - t0) * 1e6 - (processBilledNs() - before);
  if (unbilled > 0) ctx.stats.cpu.add(defaultCat, unbilled);
}

/** Steps until nothing moves (or `max` steps). */
export async function settle(L: WebLoop, max = 200): Promise<number> {
  let k = 0;
  for (; k < max; k++) if (!(await L.step())) break;
  return k;
}
