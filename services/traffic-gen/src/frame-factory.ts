// Writes probe-carrying UDP/TCP frames straight into a batch. Per flow, the constant header
// bytes and the constant parts of both checksums are prepared once, so a packet costs a header
// copy, a probe write and a few additions; every frame still carries valid checksums.

import * as core from '@vnflab/core';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const {
  ETH_HLEN,
  IPV4_MIN_HLEN,
  UDP_HLEN,
  TCP_MIN_HLEN,
  PROBE_LEN,
  FCS_LEN,
  headerLen,
  writeHeaders,
  onesSum,
  writeProbe,
  flowHash,
  ipFromString,
  PROTO_UDP,
  PROTO_TCP,
} = core;

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

export interface FlowTable {
  count: number;
  srcIp: Uint32Array;
  srcPort: Uint16Array;
  dstIp: number;
  dstPort: number;
  hash: Uint32Array;
}

/** Flow i: source address src_net + floor(i / 16384), source port 49152 + i mod 16384 (the ephemeral range, as a client would use). */
export function makeFlows(n: number, srcNet: string, dstIp: string, dstPort: number, proto: 'udp' | 'tcp'): FlowTable {
  const base = ipFromString(srcNet);
  const dst = ipFromString(dstIp);
  const t: FlowTable = {
    count: n,
    srcIp: new Uint32Array(n),
    srcPort: new Uint16Array(n),
    dstIp: dst,
    dstPort,
    hash: new Uint32Array(n),
  };
  const p = proto === 'udp' ? PROTO_UDP : PROTO_TCP;
  for (let i = 0; i < n; i++) {
    t.srcIp[i] = (base + Math.floor(i / 16384)) >>> 0;
    t.srcPort[i] = 49152 + (i % 16384);
    t.hash[i] = flowHash(t.srcIp[i], dst, p, t.srcPort[i], dstPort);
  }
  return t;
}

export class FrameFactory {
  readonly hlen: number;
  private readonly headers: Buffer; // per-flow header template
  private readonly ipSum: Uint32Array; // per-flow IPv4 header sum without total length
  private readonly l4Sum: Uint32Array; // per-flow pseudo-header + L4 header sum without lengths
  private readonly tcp: boolean;

  constructor(
    readonly flows: FlowTable,
    readonly proto: 'udp' | 'tcp',
  ) {
    this.tcp = proto === 'tcp';
    this.hlen = headerLen(proto);
    const n = flows.count;
    this.headers = Buffer.alloc(n * this.hlen);
    this.ipSum = new Uint32Array(n);
    this.l4Sum = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * this.hlen;
      writeHeaders(this.headers, o, {
        srcIp: flows.srcIp[i],
        dstIp: flows.dstIp,
        proto,
        srcPort: flows.srcPort[i],
        dstPort: flows.dstPort,
        frameLen: this.hlen, // lengths are patched per packet
      });
      const ip = o + ETH_HLEN;
      this.headers[ip + 2] = 0;
      this.headers[ip + 3] = 0;
      this.ipSum[i] = onesSum(this.headers, ip, IPV4_MIN_HLEN);
      const l4 = ip + IPV4_MIN_HLEN;
      if (!this.tcp) {
        this.headers[l4 + 4] = 0;
        this.headers[l4 + 5] = 0;
      }
      // pseudo-header addresses and protocol, plus the L4 header (lengths zero for now)
      this.l4Sum[i] = onesSum(
        this.headers,
        l4,
        this.tcp ? TCP_MIN_HLEN : UDP_HLEN,
        onesSum(this.headers, ip + 12, 8) + (this.tcp ? PROTO_TCP : PROTO_UDP),
      );
    }
  }

  /** Smallest wire size (with FCS) whose frame holds the headers and the probe. */
  get minWireSize(): number {
    return this.hlen + PROBE_LEN + FCS_LEN;
  }

  /**
   * Writes a frame of `frameLen` bytes (no FCS) for flow `f` at `off` of `buf`, with the probe
   * (flow, seq, sendNs); zero padding after the probe.
   */
  write(buf: Buffer, off: number, frameLen: number, f: number, seq: number, sendNs: number): void {
    const h = this.hlen;
    // a byte loop, not Buffer.copy: copy() allocates a view per call, and at millions of
    // packets a second that garbage outlives young collections and swells the heap
    const src = this.headers;
    for (let i = 0, o = f * h; i < h; i++) buf[off + i] = src[o + i];
    const ip = off + ETH_HLEN;
    const ipLen = frameLen - ETH_HLEN;
    buf[ip + 2] = ipLen >>> 8;
    buf[ip + 3] = ipLen & 0xff;
    const ipc = ~fold(this.ipSum[f] + ipLen) & 0xffff;
    buf[ip + 10] = ipc >>> 8;
    buf[ip + 11] = ipc & 0xff;
    const l4 = ip + IPV4_MIN_HLEN;
    const l4Len = ipLen - IPV4_MIN_HLEN;
    const p = off + h;
    writeProbe(buf, p, f, seq, sendNs);
    const end = off + frameLen;
    if (end > p + PROBE_LEN) buf.fill(0, p + PROBE_LEN, end);
    let s = this.l4Sum[f] + l4Len; // pseudo-header length
    if (!this.tcp) {
      buf[l4 + 4] = l4Len >>> 8;
      buf[l4 + 5] = l4Len & 0xff;
      s += l4Len; // the UDP length field itself
    }
    s = onesSum(buf, p, PROBE_LEN, fold(s));
    let c = ~s & 0xffff;
    if (!this.tcp && c === 0) c = 0xffff;
    const co = this.tcp ? l4 + 16 : l4 + 6;
    buf[co] = c >>> 8;
    buf[co + 1] = c & 0xff;
  }
}
