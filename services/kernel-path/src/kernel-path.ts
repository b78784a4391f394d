// The kernel-path element: the guest's receive path from the RX ring to the application (the
// next stage). It composes the five mechanisms - irq, alloc, copies, stack, syscall - each from
// its own file and each switched by its own toggle, so `kernel` and `bypass` are presets, not
// code paths. Work is done in rounds of at most a ring's worth of packets, and each pass over a
// round is measured and billed to its CPU category:
//
//   transport into the ring (bus) -> notify + harvest (irq, packet_io) -> skb alloc (alloc)
//   -> ring->kernel copy (copy) -> protocol + socket queues (protocol) -> receive calls
//   (syscall) -> kernel->user copy (copy) -> free skbs (alloc) -> recycle ring buffers (packet_io)
//
// The kernel side finishes a round before the application drains it, as softirqs run ahead of
// the receiving thread; so a socket queue fills when one round holds more packets for it than
// its bound. Packets the application received stay alive in the batch, in their slots.
//
// With `stack: tcp` (variants linux and user-tcp, a loop chain) the stage is a TCP endpoint: the
// protocol step hands each segment to TCP (./tcp-server.ts), which terminates it (delivered) or
// drops it with a reason and answers through ctx.out.back(); after the rounds the application's
// thread makes its calls (./app-thread.ts) and hands what it read to the next stage as records
// through ctx.out.forward(). processReturn takes the application's answers (writev, close) and
// tick runs TCP's timers.

import * as core from '@vnflab/core';
import type { Batch, CustomMetricSpec, Element, ElementContext } from '@vnflab/core';
import { createAllocator, type Allocator, type SkBuff } from './alloc';
import { AppThread } from './app-thread';
import { copyKernelToUser, copyRingToKernel } from './copies';
import { IrqTotals, createNotifier, type Notifier } from './irq';
import { outboxOf } from './loop-seam';
import { resolve } from './presets';
import { Harvest, RxQueue } from './rx-queue';
import { formatToggles, type Resolved, type Toggles } from './settings';
import { SocketTable } from './socket-queues';
import { Stack } from './stack';
import { SyscallPath } from './syscall';
import { TcpServer } from './tcp-server';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { Cat, RING_OCCUPANCY_METRIC, monoNs } = core;

/** How often TCP's timers run (stack tcp): delayed ACKs and retransmissions go out within this. */
export const TCP_TICK_MS = 5;

export class KernelPath implements Element {
  readonly stage = 'kernel-path';
  private cfg!: Resolved;
  private rx!: RxQueue;
  private harvestBuf!: Harvest;
  private allocator!: Allocator;
  private notifier!: Notifier;
  private sockets!: SocketTable;
  private stack!: Stack;
  private syscalls!: SyscallPath;
  private skbs: (SkBuff | null)[] = [];
  private delivered: (SkBuff | null)[] = [];
  private pending: Resolved | null = null;
  private raw: Record<string, unknown>;
  private readonly irqTotals = new IrqTotals();
  rounds = 0;
  deliveredTotal = 0;
  /** napi: interrupts the NIC raised for the batches received (Batch#interrupts). */
  nicInterrupts = 0;
  /** napi: batches no NIC had counted interrupts for, taken on this ring's own interrupt. */
  ownRingBatches = 0;
  /** stack tcp: the endpoint and the application's thread, made at the first pass. */
  private tcpServer: TcpServer | null = null;
  private app: AppThread | null = null;
  /** stack tcp only (a loop chain's way back, and TCP's timers); absent otherwise. */
  readonly processReturn?: Element['processReturn'];
  readonly tick?: Element['tick'];
  readonly tickIntervalMs?: number;

  constructor(
    readonly variant: string,
    settings: Record<string, unknown> = {},
    private readonly defaultSockets: number[] = [80],
  ) {
    this.raw = { ...settings };
    this.apply(resolve(variant, this.raw, defaultSockets));
    if (this.cfg.toggles.stack === 'tcp') {
      this.processReturn = (batch, ctx) => this.tcpReturn(batch, ctx);
      this.tick = (nowNs, ctx) => this.tcpTick(nowNs, ctx);
      this.tickIntervalMs = TCP_TICK_MS;
    }
  }

  get toggles(): Toggles {
    return this.cfg.toggles;
  }

  private apply(r: Resolved): void {
    const ringChanged = !this.rx || this.rx.ringSize !== r.ringSize;
    if (ringChanged) {
      this.rx = new RxQueue(r.ringSize);
      this.harvestBuf = new Harvest(r.ringSize);
      this.skbs = new Array<SkBuff | null>(r.ringSize).fill(null);
      this.delivered = new Array<SkBuff | null>(r.ringSize).fill(null);
    }
    if (ringChanged || !this.allocator || this.allocator.mode !== r.toggles.alloc) {
      // a pool sized for one round in flight never has to grow (transmit skbs are freed at once)
      this.allocator = createAllocator(r.toggles.alloc, this.rx.bytes, r.ringSize);
      this.tcpServer?.useAllocator(this.allocator);
    }
    this.notifier = createNotifier(r.toggles.irq, this.irqTotals);
    this.sockets = new SocketTable(r.sockets, r.socketQueue);
    this.stack = new Stack(r.toggles.stack, this.sockets);
    this.syscalls = new SyscallPath(r.toggles.syscall);
    this.cfg = r;
  }

  /** Run-time change of toggles; takes effect at the next batch. Throws naming a bad key. */
  configure(settings: Record<string, unknown>): void {
    const raw = { ...this.raw, ...settings };
    const r = resolve(this.variant, raw, this.defaultSockets);
    const tcp = this.cfg.toggles.stack === 'tcp';
    if ((r.toggles.stack === 'tcp') !== tcp)
      throw new Error('kernel-path settings.stack: tcp is chosen when the stage starts, not at run time');
    if (tcp) {
      // the endpoint's tables and sockets are sized once: a change would lose its connections
      const a = this.cfg;
      const same = JSON.stringify([a.tcp, a.sockets]) === JSON.stringify([r.tcp, r.sockets]);
      if (!same)
        throw new Error(
          'kernel-path settings: sockets, backlog, syn_backlog, max_connections, time_wait_ms, max_tw_buckets and delayed_ack are fixed while stack tcp runs',
        );
      if ((r.toggles.syscall.kind === 'none') !== (a.toggles.syscall.kind === 'none'))
        throw new Error('kernel-path settings.syscall: stack tcp chooses system calls or library calls at start');
    }
    this.raw = raw;
    this.pending = r;
  }

  process(batch: Batch, ctx: ElementContext): void | Promise<void> {
    if (this.pending) {
      this.apply(this.pending);
      this.pending = null;
    }
    const count = batch.count;
    // napi takes the interrupts the NIC raised for these packets; with no NIC upstream (none
    // set), its own ring's interrupt, one per arrival (per round). per-packet and poll ignore it.
    const fromNic = this.notifier.mode.kind === 'napi' ? batch.interrupts : 0;
    if (this.notifier.mode.kind === 'napi' && count > 0) {
      if (fromNic > 0) this.nicInterrupts += fromNic;
      else this.ownRingBatches++;
    }
    let from = 0;
    let left = fromNic; // the NIC's interrupts not taken yet
    let shareEnd = fromNic > 0 ? 0 : count;
    const next = (): void | Promise<void> => {
      while (from < count || left > 0) {
        let raise = false;
        if (fromNic > 0 && from >= shareEnd) {
          // the NIC counts its interrupts, not where they fell: each covers an equal share of
          // the burst (exact for full batches and a moderation that divides them)
          shareEnd = from + Math.ceil((count - from) / left);
          left--;
          raise = true;
        }
        from = this.transport(batch, from, shareEnd, ctx);
        if (fromNic === 0) raise = this.rx.completed > 0;
        const waiting = this.notifier.run(this.rx, this.harvestBuf, ctx, raise);
        if (waiting) {
          return waiting.then(() => {
            this.kernel(batch, ctx);
            return next();
          });
        }
        this.kernel(batch, ctx);
      }
      if (this.tcpServer !== null) {
        // the application's thread: its calls, and what it read forward as records
        const out = outboxOf(ctx);
        this.tcpServer.use(ctx, out);
        (this.app as AppThread).run(out);
        return;
      }
      // handed on to the application, which sleeps once it has drained its sockets
      this.syscalls.block(this.sockets.queues);
    };
    return next();
  }

  /** stack tcp: the endpoint, made once with this stage's first context (start-up, not billed). */
  private ensureTcp(ctx: ElementContext): TcpServer {
    if (this.tcpServer === null) {
      const c = this.cfg;
      this.tcpServer = new TcpServer(c.tcp, c.sockets, this.allocator, c.toggles.syscall.kind !== 'none', ctx);
      this.app = new AppThread(this.tcpServer);
    }
    return this.tcpServer;
  }

  /** The application's answers (write, close, write_close records), then its thread goes on. */
  private tcpReturn(batch: Batch, ctx: ElementContext): void {
    const out = outboxOf(ctx);
    this.ensureTcp(ctx).use(ctx, out);
    (this.app as AppThread).returned(batch, out);
  }

  /** TCP's timers; a socket they made ready (a reset, say) wakes the sleeping thread. */
  private tcpTick(nowNs: number, ctx: ElementContext): void {
    const server = this.tcpServer;
    if (server === null) return;
    const out = outboxOf(ctx);
    server.use(ctx, out);
    server.tick(nowNs);
    if (server.sockets.sleeping && server.readyCount > 0) (this.app as AppThread).run(out);
  }

  /** The lab's transport: the NIC's DMA into the ring, not a modelled cost. */
  private transport(batch: Batch, from: number, end: number, ctx: ElementContext): number {
    const t0 = ctx.stats.cpu.begin();
    const next = this.rx.dma(batch, from, end);
    ctx.stats.cpu.end(Cat.bus, t0);
    return next;
  }

  /** Everything after the harvest, one measured pass per mechanism over the round. */
  private kernel(batch: Batch, ctx: ElementContext): void {
    const h = this.harvestBuf;
    const n = h.n;
    const stats = ctx.stats;
    const cpu = stats.cpu;
    const skbs = this.skbs as SkBuff[];
    const delivered = this.delivered as SkBuff[];
    const { copies, syscall, stack } = this.cfg.toggles;
    const ringBytes = this.rx.bytes;
    if (n === 0) return; // an interrupt whose poll found nothing (the NIC raised more than arrived)

    // alloc: an skb per packet, pointing at its ring buffer
    let t = cpu.begin();
    for (let k = 0; k < n; k++) {
      const skb = this.allocator.get(copies.ringToKernel ? h.len[k] : -1, stats);
      skb.idx = h.idx[k];
      skb.buf = ringBytes;
      skb.off = h.addr[k];
      skb.len = h.len[k];
      skb.mbuf = h.mbuf[k];
      skbs[k] = skb;
    }
    cpu.end(Cat.alloc, t);

    if (copies.ringToKernel) {
      t = cpu.begin();
      copyRingToKernel(skbs, n, stats);
      cpu.end(Cat.copy, t);
    }

    let nd = 0;
    if (stack === 'tcp') {
      nd = this.tcpSegments(batch, ctx, n);
      this.finishRound(n, nd, ctx);
      return;
    }

    // protocol: drops are marked in the batch; survivors are queued (full) or listed (l3, none)
    t = cpu.begin();
    for (let k = 0; k < n; k++) {
      const skb = skbs[k];
      const r = this.stack.receive(skb);
      if (r !== 0) batch.drop(skb.idx, r);
      else if (stack !== 'full') delivered[nd++] = skb;
    }
    cpu.end(Cat.protocol, t);

    // the application's receive calls; with no syscall, reading the queues is socket-layer work
    t = cpu.begin();
    if (stack === 'full') nd = this.syscalls.receiveQueues(this.sockets.queues, delivered, 0, stats, ctx.costs);
    else this.syscalls.receiveList(nd, stats, ctx.costs);
    cpu.end(syscall.kind === 'none' ? Cat.protocol : Cat.syscall, t);

    if (copies.kernelToUser) {
      t = cpu.begin();
      copyKernelToUser(delivered, nd, batch, stats);
      cpu.end(Cat.copy, t);
    }
    this.finishRound(n, nd, ctx);
  }

  /**
   * stack tcp's protocol step: each segment through TCP (billed protocol by the endpoint, its
   * answers' skbs alloc); consumed ones are delivered here, the rest dropped with TCP's reason.
   * Returns the segments consumed.
   */
  private tcpSegments(batch: Batch, ctx: ElementContext, n: number): number {
    const server = this.ensureTcp(ctx);
    server.use(ctx, outboxOf(ctx));
    const skbs = this.skbs as SkBuff[];
    const now = monoNs();
    let consumed = 0;
    for (let k = 0; k < n; k++) {
      const skb = skbs[k];
      const r = server.input(skb.buf, skb.off, skb.len, now);
      if (r === 0) {
        batch.deliver(skb.idx);
        consumed++;
      } else batch.drop(skb.idx, r);
    }
    return consumed;
  }

  /** Frees the round's skbs and gives its ring buffers back. */
  private finishRound(n: number, nd: number, ctx: ElementContext): void {
    const cpu = ctx.stats.cpu;
    const h = this.harvestBuf;
    const skbs = this.skbs as SkBuff[];
    // free: every skb of the round, delivered or dropped
    let t = cpu.begin();
    for (let k = 0; k < n; k++) {
      this.allocator.put(skbs[k]);
      this.skbs[k] = null;
    }
    for (let k = 0; k < nd; k++) this.delivered[k] = null;
    cpu.end(Cat.alloc, t);

    t = cpu.begin();
    this.rx.release(h);
    h.n = 0;
    cpu.end(Cat.packet_io, t);

    this.rounds++;
    this.deliveredTotal += nd;
  }

  /** The RX ring's completed descriptors not yet harvested (declared in the stage manifest). */
  metrics(): CustomMetricSpec[] {
    const labels = { stage: this.stage, variant: this.variant };
    return [{ ...RING_OCCUPANCY_METRIC, samples: [{ labels, value: this.rx.completed }] }];
  }

  /** Whose interrupts napi took: the NIC's, this ring's own (no NIC upstream), or both. */
  private interruptSource(): string {
    const irq = this.cfg.toggles.irq.kind;
    if (irq === 'per-packet') return 'per-packet: one per packet, whatever the nic moderated';
    if (irq === 'poll') return 'poll: none';
    const nic = `${this.nicInterrupts} from the nic`;
    const own = `${this.ownRingBatches} batches with no nic interrupt count: one own-ring interrupt per arrival`;
    if (this.ownRingBatches === 0) return nic;
    return this.nicInterrupts === 0 ? own : `${nic}; ${own}`;
  }

  describe(): Record<string, unknown> {
    return {
      variant: this.variant,
      toggles: formatToggles(this.cfg.toggles),
      socket_queue: this.cfg.socketQueue,
      rounds: this.rounds,
      delivered: this.deliveredTotal,
      syscalls: this.syscalls.calls,
      wakeups: this.syscalls.wakeups,
      interrupts: this.irqTotals.interrupts,
      interrupt_source: this.interruptSource(),
      interrupt_wait_set_aside_ns: Math.round(this.irqTotals.waitSetAsideNs),
      rx: this.rx.describe(),
      alloc: this.allocator.describe(),
      ...this.sockets.describe(),
      ...this.tcpDescribe(),
    };
  }

  /** stack tcp: the endpoint, the socket layer's totals and the application's calls. */
  private tcpDescribe(): Record<string, unknown> {
    const server = this.tcpServer;
    if (server === null) return {};
    const sl = server.sockets;
    return {
      tcp_endpoint: server.describe(),
      app: (this.app as AppThread).describe(),
      socket_calls: {
        calls: sl.calls,
        sleeps: sl.sleeps,
        context_switches: sl.contextSwitches,
        bytes_copied: sl.bytesCopied,
        emfile: sl.emfile,
        enfile: sl.enfile,
        fd_words_scanned: sl.fds.wordsScanned,
      },
    };
  }
}
