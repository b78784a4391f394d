// Builds an Ethernet/IPv4/TCP frame with options into a slot the caller provides, with valid
// IP and TCP checksums. Options are laid out as Linux lays them out (tcp_options_write), so a
// capture reads like a Linux one: MSS, NOP NOP SACK-perm... / NOP WS, NOP NOP TS.

import * as core from '@vnflab/core';
import { OPT_MSS, OPT_NOP, OPT_SACK_PERMITTED, OPT_TIMESTAMP, OPT_WSCALE } from './segment';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { ETH_HLEN, onesSum, writeU16, writeU32 } = core;

/** What one outgoing segment says. The endpoint reuses one of these. */
export class SegmentSpec {
  srcMac: Uint8Array = new Uint8Array(6);
  dstMac: Uint8Array = new Uint8Array(6);
  srcIp = 0;
  dstIp = 0;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  ipId = 0;
  /** Options to include; -1 / false for none. */
  mss = -1;
  wscale = -1;
  sackPermitted = false;
  timestamp = false;
  tsVal = 0;
  tsEcr = 0;
  /** Payload copied in from src[payloadOff, payloadOff+payloadLen). */
  payload: Uint8Array | null = null;
  payloadOff = 0;
  payloadLen = 0;

  /** Clears the options and payload (addresses and numbers are always set by the caller). */
  clearOptions(): void {
    this.mss = -1;
    this.wscale = -1;
    this.sackPermitted = false;
    this.timestamp = false;
    this.payload = null;
    this.payloadLen = 0;
  }
}

/** Bytes of TCP options `s` asks for, padded to a multiple of 4. */
export function optionsLength(s: SegmentSpec): number {
  let n = 0;
  if (s.mss >= 0) n += 4;
  if (s.sackPermitted && s.timestamp)
    n += 12; // SACK-perm and TS share one padded block
  else {
    if (s.sackPermitted) n += 4;
    if (s.timestamp) n += 12;
  }
  if (s.wscale >= 0) n += 4;
  return n;
}

/** Frame length (no FCS) of the segment `s` describes. */
export function segmentFrameLength(s: SegmentSpec): number {
  return ETH_HLEN + 20 + 20 + optionsLength(s) + s.payloadLen;
}

/** Writes the frame at buf[off...]; returns its length. The slot must hold segmentFrameLength(s). */
export function buildSegment(buf: Uint8Array, off: number, s: SegmentSpec): number {
  const optLen = optionsLength(s);
  const tcpLen = 20 + optLen;
  const len = ETH_HLEN + 20 + tcpLen + s.payloadLen;
  copyMac(s.dstMac, buf, off);
  copyMac(s.srcMac, buf, off + 6);
  writeU16(buf, off + 12, 0x0800);
  const ip = off + ETH_HLEN;
  buf[ip] = 0x45;
  buf[ip + 1] = 0;
  writeU16(buf, ip + 2, 20 + tcpLen + s.payloadLen);
  writeU16(buf, ip + 4, s.ipId & 0xffff);
  writeU16(buf, ip + 6, 0x4000); // DF
  buf[ip + 8] = 64; // Linux's default TTL (sysctl_ip_default_ttl)
  buf[ip + 9] = 6;
  writeU16(buf, ip + 10, 0);
  writeU32(buf, ip + 12, s.srcIp);
  writeU32(buf, ip + 16, s.dstIp);
  const t = ip + 20;
  writeU16(buf, t, s.srcPort);
  writeU16(buf, t + 2, s.dstPort);
  writeU32(buf, t + 4, s.seq >>> 0);
  writeU32(buf, t + 8, s.ack >>> 0);
  buf[t + 12] = (tcpLen / 4) << 4;
  buf[t + 13] = s.flags;
  writeU16(buf, t + 14, s.window);
  writeU16(buf, t + 16, 0);
  writeU16(buf, t + 18, 0);
  let o = t + 20;
  if (s.mss >= 0) {
    buf[o] = OPT_MSS;
    buf[o + 1] = 4;
    writeU16(buf, o + 2, s.mss);
    o += 4;
  }
  if (s.sackPermitted && s.timestamp) {
    buf[o] = OPT_SACK_PERMITTED;
    buf[o + 1] = 2;
    o = writeTimestamp(buf, o + 2, s);
  } else {
    if (s.sackPermitted) {
      buf[o] = OPT_NOP;
      buf[o + 1] = OPT_NOP;
      buf[o + 2] = OPT_SACK_PERMITTED;
      buf[o + 3] = 2;
      o += 4;
    }
    if (s.timestamp) {
      buf[o] = OPT_NOP;
      buf[o + 1] = OPT_NOP;
      o = writeTimestamp(buf, o + 2, s);
    }
  }
  if (s.wscale >= 0) {
    buf[o] = OPT_NOP;
    buf[o + 1] = OPT_WSCALE;
    buf[o + 2] = 3;
    buf[o + 3] = s.wscale;
    o += 4;
  }
  if (s.payloadLen > 0 && s.payload) copyBytes(s.payload, s.payloadOff, s.payloadLen, buf, o);
  // Both checksum fields are zero as written above, so each sum runs over its whole range in one
  // pass; the pseudo-header (RFC 9293 §3.1) comes from the spec's numbers, not read back.
  writeU16(buf, ip + 10, ~onesSum(buf, ip, 20) & 0xffff);
  const l4Len = tcpLen + s.payloadLen;
  const pseudo = (s.srcIp >>> 16) + (s.srcIp & 0xffff) + (s.dstIp >>> 16) + (s.dstIp & 0xffff) + 6 + l4Len;
  writeU16(buf, t + 16, ~onesSum(buf, t, l4Len, pseudo) & 0xffff);
  return len;
}

/** A 6-byte MAC address byte by byte (a TypedArray.set call costs more than the copy). */
function copyMac(mac: Uint8Array, buf: Uint8Array, o: number): void {
  buf[o] = mac[0];
  buf[o + 1] = mac[1];
  buf[o + 2] = mac[2];
  buf[o + 3] = mac[3];
  buf[o + 4] = mac[4];
  buf[o + 5] = mac[5];
}

function writeTimestamp(buf: Uint8Array, o: number, s: SegmentSpec): number {
  buf[o] = OPT_TIMESTAMP;
  buf[o + 1] = 10;
  writeU32(buf, o + 2, s.tsVal >>> 0);
  writeU32(buf, o + 6, s.tsEcr >>> 0);
  return o + 10;
}

/** Copies without making a view (Buffer.copy when it can, a loop otherwise). */
export function copyBytes(src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
  if (src instanceof Buffer) src.copy(dst, dstOff, srcOff, srcOff + len);
  else for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i];
}
