// The traffic generator: a Source that fills batches with probe-carrying frames, at a constant
// rate (token bucket) or as fast as the chain takes, for a count or a duration; or replays a
// capture with its original (optionally scaled) timing.

import * as core from '@vnflab/core';
import type { Batch, ElementContext, PcapRecord, Source } from '@vnflab/core';
import { FrameFactory, makeFlows } from './frame-factory';
import { Pacer } from './pacer';
import { GENERATOR_DEFAULTS, IMIX, checkIpv4, parseHostPort, type GeneratorSettings } from './settings';
import { Ev } from './events';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { FCS_LEN, ParsedFrame, Reason, Rng, csumUpdate16, hasProbe, parseFrame, readCapture, recordGapNs } = core;

/** The longest a replay with its original timing may take; beyond it the run would seem to hang. */
export const MAX_REPLAY_SPAN_S = 24 * 3600;

/** Refuses a capture whose original timing would wait longer than MAX_REPLAY_SPAN_S (a record stamped years later). */
function checkReplaySpan(records: readonly PcapRecord[], speed: number, path: string): void {
  for (let i = 1; i < records.length; i++) {
    const spanS = recordGapNs(records[0], records[i]) / 1e9 / speed;
    if (spanS > MAX_REPLAY_SPAN_S) {
      throw new Error(
        `pcap_timing: ${path} record ${i} is ${Math.round(spanS)} s after the first at speed ${speed}, more than ${MAX_REPLAY_SPAN_S} s of waiting; use --pcap-timing none or a larger --pcap-speed`,
      );
    }
  }
}

/** How long a paused generator waits before it looks again (the source runner's longest step). */
const PAUSED_WAIT_MS = 50;

/** How far the schedule may fall behind its flush interval before it skips (timer slack it absorbs). */
const SLACK_MS = 2;

type Resolved = Required<Omit<GeneratorSettings, 'pcap_in'>> & { pcap_in?: string };

/** A run-time change of the traffic (PUT /traffic): each field optional, applied before the next batch. */
export interface TrafficChange {
  rate?: number;
  size?: number | 'imix';
  flows?: number;
  /** the timed drain's interval: fewer, fuller batches against less waiting in each (settings.ts) */
  flush_ms?: number;
  /** false pauses sending (the run goes on); true resumes it */
  running?: boolean;
  /** true ends the run: the generator is done, and the chain drains and finishes */
  end?: boolean;
}

/** A change the generator refuses (answered 400 by the control API, see control-api.ts). */
export class TrafficError extends Error {
  readonly status = 400;
  readonly code = 'bad_traffic';
}

/** What GET /traffic answers: the traffic now, and what was offered, sent and not sent so far. */
export interface TrafficState {
  variant: string;
  rate: number;
  size: number | 'imix';
  flows: number;
  flush_ms: number;
  running: boolean;
  done: boolean;
  offered: number;
  sent: number;
  not_sent: number;
}

/** The generator's own metrics (stage manifest `metrics`). */
export const GENERATOR_METRICS = [
  {
    name: 'vnflab_generator_packets_total',
    help: 'Packets the generator offered (its rate schedule; without a rate, what it sent), offered but could not send (not_sent), and of those the ones lost to its own lateness rather than to the chain holding it back (not_sent_late)',
    type: 'counter',
  },
] as const;

export class TrafficGenerator implements Source {
  readonly stage = 'traffic-gen';
  readonly variant: string;
  s: Resolved;
  sent = 0;
  private stopped = false;
  /** Paused by PUT /traffic {running: false}: not done, sends nothing until resumed. */
  private paused = false;
  private startNs = -1;
  /** With a rate: the schedule packets fall due on (pacer.ts); a new one at each rate change or resume. */
  private pacer?: Pacer;
  /** Packets earlier schedules (before a rate change or a pause) skipped. */
  private notSentBefore = 0;
  private notSentLateBefore = 0;
  /** Time the runner waited on the output since the pacer last looked (held()). */
  private heldNs = 0;
  /**
   * Where every flow's sequence numbers start: 0, or for a generator that continues a run another
   * one began (resume), the packets sent before it, above any sequence number they used.
   */
  private seqBase = 0;
  /** Slots of the last batch filled: how many packets make a full one. */
  private capacity = 64;
  private readonly rng: core.Rng;
  // synthetic traffic (rebuilt by setTraffic when the size or the flows change)
  private factory?: FrameFactory;
  private sizes: Int32Array; // frame lengths without FCS, cycled per packet
  private sizeIdx = 0;
  private seqs?: Uint32Array;
  private zipfCdf?: Float64Array;
  // replay
  private readonly records?: PcapRecord[];
  /** Per record, the reason it is dropped when sent (0: it is replayed), e.g. a link type that is not Ethernet. */
  private readonly recordDrops?: Uint16Array;
  /**
   * Per record, for a replay: its probe's place in its flow (-1: no probe), so every copy sent —
   * a frame the capture holds twice, or a later loop — gets a sequence number of its own and
   * reaches the backends as the new packet it is, not as a duplicate.
   */
  private seqInFlow?: Float64Array;
  private flowOfRecord?: Float64Array;
  private flowTotals?: Map<number, number>;
  /** Per record: its probe repeats an earlier record's (same flow and sequence number). */
  private repeatInCapture?: Uint8Array;
  /** Packets sent that repeat one sent before (a frame twice in the capture, or a later loop). */
  repeats = 0;
  private recIdx = 0;
  private loopsLeft = 0;
  private loopBaseNs = 0;

  constructor(settings: GeneratorSettings = {}) {
    this.s = { ...GENERATOR_DEFAULTS, ...settings } as Resolved;
    const s = this.s;
    this.rng = new Rng(s.seed + 1);
    if (s.rate > 0) this.pacer = this.newPacer(s.rate);
    if (s.pcap_in) {
      const cap = readCapture(s.pcap_in);
      this.records = cap.records;
      this.recordDrops = Uint16Array.from(cap.records, (r) => (r.drop ? core.reasonCode(r.drop) : 0));
      if (s.pcap_timing === 'original') checkReplaySpan(cap.records, s.pcap_speed, s.pcap_in);
      this.numberProbes(cap.records);
      this.loopsLeft = s.pcap_loop;
      this.variant = 'pcap';
      this.sizes = new Int32Array(0);
      return;
    }
    this.variant = s.proto;
    this.sizes = new Int32Array(0);
    this.build(s.flows, s.size);
  }

  /**
   * The frame factory, the size cycle and the flow distribution for `flows` flows of `size`;
   * throws before changing anything when the size is too small. A flow keeps its sequence
   * numbers across a rebuild (flow i is the same 5-tuple for any flow count).
   */
  private build(flows: number, size: number | 'imix'): void {
    const s = this.s;
    const dst = parseHostPort(s.dst, 'dst');
    const srcNet = checkIpv4(s.src_net, 'src_net');
    const factory = new FrameFactory(makeFlows(flows, srcNet, dst.ip, dst.port, s.proto), s.proto);
    const wire = size === 'imix' ? IMIX.map((w) => Math.max(w, factory.minWireSize)) : [size];
    if (wire[0] < factory.minWireSize) {
      throw new TrafficError(
        `size: ${wire[0]} is too small for ${s.proto}: a frame needs ${factory.minWireSize} B (headers, the 18 B probe and the FCS)`,
      );
    }
    // shuffle IMIX order once so sizes interleave like real traffic, reproducibly
    const arr = Int32Array.from(wire, (w) => w - FCS_LEN);
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.rng.below(i + 1);
      [arr[i], arr[j]] = [arr[j], arr[i]];
    }
    this.factory = factory;
    this.sizes = arr;
    this.sizeIdx = 0;
    const seqs = new Uint32Array(flows).fill(this.seqBase);
    if (this.seqs) seqs.set(this.seqs.subarray(0, Math.min(flows, this.seqs.length)));
    this.seqs = seqs;
    this.zipfCdf = undefined;
    if (s.distribution === 'zipf') {
      const cdf = new Float64Array(flows);
      let acc = 0;
      for (let i = 0; i < flows; i++) cdf[i] = acc += 1 / Math.pow(i + 1, s.zipf_s);
      for (let i = 0; i < flows; i++) cdf[i] /= acc;
      this.zipfCdf = cdf;
    }
  }

  /**
   * Continues a run an earlier generator began (a restarted service): `sentBefore` packets were
   * sent, so the count goes on from there. With the earlier generator's `state` (each flow's next
   * sequence number, see sequenceState) every flow continues exactly; without it, this
   * generator's probes take sequence numbers above every earlier one (each flow starts at
   * `sentBefore`), so the backends never take them for duplicates or reordered packets. Called
   * before the first batch.
   */
  resume(sentBefore: number, state?: Uint8Array): void {
    if (!(sentBefore > 0) || this.sent > 0) return;
    this.sent = sentBefore;
    this.seqBase = sentBefore >>> 0 === sentBefore ? sentBefore : 0;
    const seqs = this.seqs;
    if (!seqs) return;
    seqs.fill(this.seqBase);
    if (state && state.byteLength % 4 === 0) {
      const earlier = new Uint32Array(state.byteLength / 4);
      new Uint8Array(earlier.buffer).set(state);
      seqs.set(earlier.subarray(0, Math.min(earlier.length, seqs.length)));
    }
  }

  /** Each flow's next sequence number, for a generator that continues this one's run. */
  sequenceState(): Uint8Array | undefined {
    return this.seqs ? new Uint8Array(this.seqs.buffer.slice(0)) : undefined;
  }

  /** The traffic now (GET /traffic). */
  traffic(): TrafficState {
    const notSent = this.notSent();
    return {
      variant: this.variant,
      rate: this.s.rate,
      size: this.s.size,
      flows: this.s.flows,
      flush_ms: this.s.flush_ms,
      running: !this.paused && !this.done,
      done: this.done,
      offered: this.sent + notSent,
      sent: this.sent,
      not_sent: notSent,
    };
  }

  /**
   * Changes the traffic (PUT /traffic). It runs on the event loop between two batches, so the
   * next batch has the new traffic; a size or flow change builds the new factory here, off the
   * fill path. A new rate (or a resume) starts a new schedule from now, so a pause or a slower
   * past is never counted as not sent; a new flush interval keeps the schedule. Refused whole
   * (nothing changes) when a field cannot apply.
   */
  setTraffic(c: TrafficChange): TrafficState {
    if (
      this.done &&
      (c.rate !== undefined || c.size !== undefined || c.flows !== undefined || c.flush_ms !== undefined || c.running)
    )
      throw new TrafficError('the generator is done: its run has ended');
    if (this.records && (c.size !== undefined || c.flows !== undefined))
      throw new TrafficError(
        'a replayed capture has its own sizes and flows: only rate, flush_ms and running can change',
      );
    if (c.size !== undefined || c.flows !== undefined) {
      const flows = c.flows ?? this.s.flows;
      const size = c.size ?? this.s.size;
      this.build(flows, size);
      this.s = { ...this.s, flows, size };
    }
    if (c.flush_ms !== undefined && c.flush_ms !== this.s.flush_ms) {
      this.s = { ...this.s, flush_ms: c.flush_ms };
      this.pacer?.setFlush(...this.drain());
    }
    let reschedule = false;
    if (c.rate !== undefined && c.rate !== this.s.rate) {
      this.s = { ...this.s, rate: c.rate };
      reschedule = true;
    }
    if (c.running !== undefined && c.running === this.paused) {
      this.paused = !c.running;
      reschedule = true;
    }
    if (reschedule) {
      this.notSentBefore += this.pacer?.notSent ?? 0;
      this.notSentLateBefore += this.pacer?.notSentLate ?? 0;
      this.pacer = this.s.rate > 0 ? this.newPacer(this.s.rate) : undefined;
    }
    if (c.end) this.stopped = true;
    return this.traffic();
  }

  private newPacer(rate: number): Pacer {
    return new Pacer(rate, ...this.drain());
  }

  /** The pacer's flush interval and slack (ns), from settings.flush_ms. */
  private drain(): [flushNs: number, slackNs: number] {
    return [this.s.flush_ms * 1e6, (this.s.flush_ms + SLACK_MS) * 1e6];
  }

  /** Packets every schedule so far offered and could not send. */
  private notSent(): number {
    return this.notSentBefore + (this.pacer?.notSent ?? 0);
  }

  /** Of notSent(), those lost to the generator's own lateness (its timers, its CPU), not to the chain. */
  private notSentLate(): number {
    return this.notSentLateBefore + (this.pacer?.notSentLate ?? 0);
  }

  held(ns: number): void {
    this.heldNs += ns;
  }

  get done(): boolean {
    if (this.stopped) return true;
    if (this.s.count > 0 && this.sent >= this.s.count) return true;
    if (this.records && this.loopsLeft === 0) return true;
    return false;
  }

  stop(): void {
    this.stopped = true;
  }

  private pickFlow(): number {
    const cdf = this.zipfCdf;
    if (!cdf) return this.s.flows === 1 ? 0 : this.rng.below(this.s.flows);
    const u = this.rng.float();
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private begin(nowNs: number): void {
    if (this.startNs < 0) {
      this.startNs = nowNs;
      this.loopBaseNs = nowNs;
    }
  }

  /** How many packets may go now, by count, duration and rate. */
  private allowance(nowNs: number, want: number): number {
    this.begin(nowNs);
    if (this.s.duration > 0 && nowNs - this.startNs >= this.s.duration * 1e9) {
      this.stopped = true;
      return 0;
    }
    if (this.s.count > 0) want = Math.min(want, this.s.count - this.sent);
    if (this.pacer) {
      want = Math.min(want, this.pacer.due(nowNs, this.heldNs));
      this.heldNs = 0;
    }
    return Math.max(0, want);
  }

  waitMs(nowNs: number): number {
    this.begin(nowNs);
    if (this.paused) {
      // a pause does not stop the clock of a run with a duration
      if (this.s.duration > 0 && nowNs - this.startNs >= this.s.duration * 1e9) this.stopped = true;
      return this.stopped ? 0 : PAUSED_WAIT_MS;
    }
    if (this.records && this.s.pcap_timing === 'original') {
      const r = this.records[this.recIdx];
      if (!r) return 0;
      const due = this.loopBaseNs + recordGapNs(this.records[0], r) / this.s.pcap_speed;
      return Math.max(0, (due - nowNs) / 1e6);
    }
    if (!this.pacer) return 0;
    const left = this.s.count > 0 ? this.s.count - this.sent : Infinity;
    return this.pacer.waitMs(nowNs, Math.max(1, Math.min(this.capacity, left)));
  }

  fill(batch: Batch, nowNs: number, ctx: ElementContext): number {
    if (this.done || this.paused) return 0;
    return this.records ? this.fillReplay(batch, nowNs, ctx) : this.fillSynthetic(batch, nowNs);
  }

  private fillSynthetic(batch: Batch, nowNs: number): number {
    this.capacity = batch.capacity;
    const n = this.allowance(nowNs, batch.capacity - batch.count);
    const pacer = this.pacer;
    const f = this.factory!;
    const seqs = this.seqs!;
    const flows = f.flows;
    const buf = batch.buf;
    let added = 0;
    for (; added < n; added++) {
      const len = this.sizes[this.sizeIdx];
      const i = batch.append(len);
      if (i < 0) break;
      this.sizeIdx = this.sizeIdx + 1 === this.sizes.length ? 0 : this.sizeIdx + 1;
      const flow = this.pickFlow();
      const seq = seqs[flow]++;
      // stamped when it fell due, so its wait for the batch to fill counts as latency
      const dueNs = pacer ? pacer.take() : nowNs;
      f.write(buf, batch.offset(i), len, flow, seq, dueNs);
      batch.setFlowId(i, flow);
      batch.setFlowHash(i, flows.hash[flow]);
      batch.setSeq(i, this.sent + added);
      batch.setGenNs(i, dueNs);
    }
    this.sent += added;
    return added;
  }

  private fillReplay(batch: Batch, nowNs: number, ctx: ElementContext): number {
    this.capacity = batch.capacity;
    const recs = this.records!;
    const want = this.allowance(nowNs, batch.capacity - batch.count);
    let added = 0;
    while (added < want && this.loopsLeft > 0) {
      if (recs.length === 0) {
        this.loopsLeft = 0;
        break;
      }
      const r = recs[this.recIdx];
      if (this.s.pcap_timing === 'original') {
        const due = this.loopBaseNs + recordGapNs(recs[0], r) / this.s.pcap_speed;
        if (due > nowNs) break;
      }
      // A record that does not fit a slot, or that could not be made Ethernet, is still a sent
      // packet: count it and drop it.
      const len = Math.min(r.data.length, 1518);
      const i = batch.append(len);
      if (i < 0) break;
      const dueNs = this.pacer ? this.pacer.take() : nowNs;
      r.data.copy(batch.buf, batch.offset(i), 0, len);
      const drop = this.recordDrops![this.recIdx];
      if (drop !== 0) batch.drop(i, drop);
      else if (r.data.length > 1518) batch.drop(i, Reason.oversize);
      else {
        const loop = this.s.pcap_loop - this.loopsLeft;
        if (loop > 0 || this.repeatInCapture![this.recIdx]) this.repeats++;
        const inFlow = this.seqInFlow![this.recIdx];
        const seq = inFlow < 0 ? -1 : loop * this.flowTotals!.get(this.flowOfRecord![this.recIdx])! + inFlow;
        this.restampProbe(batch.buf, batch.offset(i), len, dueNs, seq);
      }
      batch.setSeq(i, this.sent + added);
      batch.setGenNs(i, dueNs);
      added++;
      if (++this.recIdx === recs.length) {
        this.recIdx = 0;
        this.loopsLeft--;
        this.loopBaseNs = nowNs;
      }
    }
    ctx.stats.event(Ev.copy, added);
    this.sent += added;
    return added;
  }

  private readonly parsed = new ParsedFrame();

  /** Once, at load: each probe-carrying record's flow and its place in that flow; repeats marked. */
  private numberProbes(records: readonly PcapRecord[]): void {
    const n = records.length;
    this.seqInFlow = new Float64Array(n).fill(-1);
    this.flowOfRecord = new Float64Array(n);
    this.repeatInCapture = new Uint8Array(n);
    const totals = new Map<number, number>();
    const seen = new Map<number, Set<number>>();
    for (let i = 0; i < n; i++) {
      const o = this.probeOffset(records[i].data, 0, records[i].data.length);
      if (o < 0) continue;
      const flow = records[i].data.readUInt32BE(o + 2);
      const seq = records[i].data.readUInt32BE(o + 6);
      let seqs = seen.get(flow);
      if (!seqs) seen.set(flow, (seqs = new Set()));
      if (seqs.has(seq)) this.repeatInCapture[i] = 1;
      seqs.add(seq);
      const k = totals.get(flow) ?? 0;
      this.flowOfRecord[i] = flow;
      this.seqInFlow[i] = k;
      totals.set(flow, k + 1);
    }
    this.flowTotals = totals;
  }

  /** Offset of the probe in a frame, or -1 when it carries none (or does not parse). */
  private probeOffset(buf: Buffer, off: number, len: number): number {
    const p = this.parsed;
    if (parseFrame(buf, off, len, p, { ipChecksum: false, l4Checksum: false }) !== 0) return -1;
    return hasProbe(buf, p.payloadOff, p.payloadOff + p.payloadLen) ? p.payloadOff : -1;
  }

  /**
   * A replayed frame that carries a vnflab probe gets a fresh send timestamp and its sequence
   * number in this replay (`seq`, unless -1), with its L4 checksum updated incrementally
   * (RFC 1624), so a bad checksum stays bad and a good one good.
   */
  private restampProbe(buf: Buffer, off: number, len: number, nowNs: number, seq: number): void {
    const p = this.parsed;
    if (parseFrame(buf, off, len, p, { ipChecksum: false, l4Checksum: false }) !== 0) return;
    const o = p.payloadOff;
    if (!hasProbe(buf, o, p.payloadOff + p.payloadLen)) return;
    const csumOff = p.proto === 17 ? p.l4Off + 6 : p.l4Off + 16;
    let c = buf.readUInt16BE(csumOff);
    const udpNoCsum = p.proto === 17 && c === 0;
    // the probe: magic (2), flow (4), sequence (4), send timestamp (8)
    const at = seq < 0 ? o + 10 : o + 6;
    const hi = Math.floor(nowNs / 4294967296);
    const lo = nowNs - hi * 4294967296;
    const words = [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff];
    if (seq >= 0) words.unshift((seq >>> 16) & 0xffff, seq & 0xffff);
    for (let w = 0; w < words.length; w++) {
      const old = buf.readUInt16BE(at + 2 * w);
      if (!udpNoCsum) c = csumUpdate16(c, old, words[w]);
      buf.writeUInt16BE(words[w], at + 2 * w);
    }
    if (!udpNoCsum) buf.writeUInt16BE(p.proto === 17 && c === 0 ? 0xffff : c, csumOff);
  }

  /**
   * Run-time settings (POST /control on the service): only `rate`, and only between positive rates
   * (a paced generator stays paced): e.g. raised and lowered to make a stage's lag rise and fall.
   */
  configure(settings: Record<string, unknown>): void {
    for (const k of Object.keys(settings))
      if (k !== 'rate') throw new Error(`settings.${k}: cannot change at run time (only settings.rate can)`);
    const rate = settings.rate;
    if (typeof rate !== 'number' || !(rate > 0)) throw new Error(`settings.rate: ${String(rate)} must be a number > 0`);
    if (!this.pacer)
      throw new Error(
        'settings.rate: this generator runs unpaced (rate 0, or a replay); start it with a rate to change it',
      );
    this.pacer.setRate(rate);
    this.s.rate = rate;
  }

  describe(): Record<string, unknown> {
    const notSent = this.notSent();
    // with a rate (now or earlier): what the schedule offered, and what fell behind it and was never sent
    const paced = this.s.rate > 0 || notSent > 0;
    return {
      sent: this.sent,
      offered: paced ? this.sent + notSent : undefined,
      not_sent: paced ? notSent : undefined,
      not_sent_late: paced ? this.notSentLate() : undefined,
      running: !this.paused && !this.done,
      // a generator that continues an earlier one's run: where its sequence numbers began
      seq_base: this.seqBase > 0 ? this.seqBase : undefined,
      settings: this.s,
      replay_records: this.records?.length,
      replay_repeats: this.records ? this.repeats : undefined,
      // the summary's line for a replay that sent frames more than once (each one received as sent)
      headline:
        this.records && this.repeats > 0
          ? `replay: ${this.repeats} of ${this.sent} packets sent repeat an earlier frame (held twice in the capture, or a later pcap_loop)`
          : undefined,
    };
  }

  metrics(): core.CustomMetricSpec[] {
    const notSent = this.notSent();
    const labels = (kind: string) => ({ stage: this.stage, variant: this.variant, kind });
    return [
      {
        ...GENERATOR_METRICS[0],
        samples: [
          { labels: labels('offered'), value: this.sent + notSent },
          { labels: labels('not_sent'), value: notSent },
          { labels: labels('not_sent_late'), value: this.notSentLate() },
        ],
      },
    ];
  }
}
