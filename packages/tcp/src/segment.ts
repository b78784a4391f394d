// Parses an Ethernet/IPv4/TCP frame into a TcpSegment the caller reuses for every frame, so
// receiving allocates nothing. IP and TCP checksums are verified with core's helpers; options
// are read as RFC 9293 §3.2 lays them out (kind, length, value; NOP and EOL single bytes).

import * as core from '@vnflab/core';
import { TcpReason } from './reasons';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { ParsedFrame, PROTO_TCP, parseEthernet, parseIpv4, parseL4 } = core;

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;

export const OPT_EOL = 0;
export const OPT_NOP = 1;
export const OPT_MSS = 2;
export const OPT_WSCALE = 3;
export const OPT_SACK_PERMITTED = 4;
export const OPT_SACK = 5;
export const OPT_TIMESTAMP = 8;

export class TcpSegment {
  /** The frame's buffer and where the frame starts. */
  buf: Uint8Array = new Uint8Array(0);
  frameOff = 0;
  srcIp = 0;
  dstIp = 0;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  /** The window field as sent (unscaled). */
  window = 0;
  /** Options; -1 (or false) when absent. */
  mss = -1;
  wscale = -1;
  sackPermitted = false;
  tsVal = 0;
  tsEcr = 0;
  hasTimestamp = false;
  payloadOff = 0;
  payloadLen = 0;
  /** Sequence space the segment occupies: payload plus one each for SYN and FIN. */
  get seqLen(): number {
    return this.payloadLen + (this.flags & SYN ? 1 : 0) + (this.flags & FIN ? 1 : 0);
  }
}

const frame = new ParsedFrame();

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Fills `out` from the frame at buf[off, off+len). Returns 0, or a drop reason code. */
export function parseSegment(buf: Uint8Array, off: number, len: number, out: TcpSegment): number {
  const l3 = parseEthernet(buf, off, len);
  if (l3 < 0) return -l3;
  let r = parseIpv4(buf, l3, off + len, frame, true);
  if (r !== 0) return r;
  if (frame.proto !== PROTO_TCP) return TcpReason.not_tcp;
  r = parseL4(buf, frame, true);
  if (r !== 0) return r;
  const t = frame.l4Off;
  out.buf = buf;
  out.frameOff = off;
  out.srcIp = frame.srcIp;
  out.dstIp = frame.dstIp;
  out.srcPort = frame.srcPort;
  out.dstPort = frame.dstPort;
  out.seq = u32(buf, t + 4);
  out.ack = u32(buf, t + 8);
  out.flags = buf[t + 13] & 0x3f;
  out.window = (buf[t + 14] << 8) | buf[t + 15];
  out.payloadOff = frame.payloadOff;
  out.payloadLen = frame.payloadLen;
  return parseOptions(buf, t + 20, frame.payloadOff, out);
}

/** Reads the options between `o` and `end`; a length that overruns them is bad_tcp_option. */
export function parseOptions(buf: Uint8Array, o: number, end: number, out: TcpSegment): number {
  out.mss = -1;
  out.wscale = -1;
  out.sackPermitted = false;
  out.hasTimestamp = false;
  while (o < end) {
    const kind = buf[o];
    if (kind === OPT_EOL) break;
    if (kind === OPT_NOP) {
      o++;
      continue;
    }
    if (o + 1 >= end) return TcpReason.bad_tcp_option;
    const l = buf[o + 1];
    if (l < 2 || o + l > end) return TcpReason.bad_tcp_option;
    if (kind === OPT_MSS) {
      if (l !== 4) return TcpReason.bad_tcp_option;
      out.mss = (buf[o + 2] << 8) | buf[o + 3];
    } else if (kind === OPT_WSCALE) {
      if (l !== 3) return TcpReason.bad_tcp_option;
      out.wscale = Math.min(buf[o + 2], 14); // RFC 7323 §2.3: a larger shift is taken as 14
    } else if (kind === OPT_SACK_PERMITTED) {
      if (l !== 2) return TcpReason.bad_tcp_option;
      out.sackPermitted = true;
    } else if (kind === OPT_TIMESTAMP) {
      if (l !== 10) return TcpReason.bad_tcp_option;
      out.hasTimestamp = true;
      out.tsVal = u32(buf, o + 2);
      out.tsEcr = u32(buf, o + 6);
    } // other kinds (SACK blocks among them) are skipped by their length
    o += l;
  }
  return 0;
}
