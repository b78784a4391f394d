// Builds Ethernet II / IPv4 / UDP|TCP frames in place with valid checksums.

import { ipv4HeaderChecksum, l4Checksum } from './checksum';
import {
  ETH_HLEN,
  ETHERTYPE_IPV4,
  IPV4_MIN_HLEN,
  IP_CSUM,
  PROTO_TCP,
  PROTO_UDP,
  TCP_MIN_HLEN,
  UDP_HLEN,
  UDP_CSUM,
  TCP_CSUM,
} from './layout';

export interface FrameSpec {
  srcMac?: Uint8Array; // 6 bytes
  dstMac?: Uint8Array;
  srcIp: number; // unsigned 32-bit
  dstIp: number;
  proto: 'udp' | 'tcp';
  srcPort: number;
  dstPort: number;
  /** Frame length without FCS, headers included. */
  frameLen: number;
  ttl?: number;
  ipId?: number;
  /** TCP only. */
  tcpSeq?: number;
  tcpFlags?: number;
}

export const DEFAULT_SRC_MAC = Uint8Array.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
export const DEFAULT_DST_MAC = Uint8Array.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);

export function headerLen(proto: 'udp' | 'tcp'): number {
  return ETH_HLEN + IPV4_MIN_HLEN + (proto === 'udp' ? UDP_HLEN : TCP_MIN_HLEN);
}

export function writeU32(buf: Uint8Array, o: number, v: number): void {
  buf[o] = v >>> 24;
  buf[o + 1] = (v >>> 16) & 0xff;
  buf[o + 2] = (v >>> 8) & 0xff;
  buf[o + 3] = v & 0xff;
}

export function writeU16(buf: Uint8Array, o: number, v: number): void {
  buf[o] = (v >>> 8) & 0xff;
  buf[o + 1] = v & 0xff;
}

/**
 * Writes headers for `spec` at `off`. The payload bytes (after the headers, up to frameLen) are
 * left as they are; call `fillChecksums` once the payload is in place.
 */
export function writeHeaders(buf: Uint8Array, off: number, spec: FrameSpec): void {
  const hl = headerLen(spec.proto);
  if (spec.frameLen < hl)
    throw new RangeError(`frame of ${spec.frameLen} B cannot hold ${spec.proto} headers (${hl} B)`);
  buf.set(spec.dstMac ?? DEFAULT_DST_MAC, off);
  buf.set(spec.srcMac ?? DEFAULT_SRC_MAC, off + 6);
  writeU16(buf, off + 12, ETHERTYPE_IPV4);
  const ip = off + ETH_HLEN;
  const ipLen = spec.frameLen - ETH_HLEN;
  buf[ip] = 0x45;
  buf[ip + 1] = 0;
  writeU16(buf, ip + 2, ipLen);
  writeU16(buf, ip + 4, spec.ipId ?? 0);
  writeU16(buf, ip + 6, 0x4000); // DF, no fragment
  buf[ip + 8] = spec.ttl ?? 64;
  buf[ip + 9] = spec.proto === 'udp' ? PROTO_UDP : PROTO_TCP;
  writeU16(buf, ip + IP_CSUM, 0);
  writeU32(buf, ip + 12, spec.srcIp);
  writeU32(buf, ip + 16, spec.dstIp);
  const l4 = ip + IPV4_MIN_HLEN;
  writeU16(buf, l4, spec.srcPort);
  writeU16(buf, l4 + 2, spec.dstPort);
  if (spec.proto === 'udp') {
    writeU16(buf, l4 + 4, ipLen - IPV4_MIN_HLEN);
    writeU16(buf, l4 + UDP_CSUM, 0);
  } else {
    writeU32(buf, l4 + 4, spec.tcpSeq ?? 1);
    writeU32(buf, l4 + 8, 0);
    buf[l4 + 12] = (TCP_MIN_HLEN / 4) << 4;
    buf[l4 + 13] = spec.tcpFlags ?? 0x18; // PSH|ACK: a data segment of an established flow
    writeU16(buf, l4 + 14, 65535);
    writeU16(buf, l4 + TCP_CSUM, 0);
    writeU16(buf, l4 + 18, 0);
  }
}

/** Computes and stores the IPv4 header checksum and the UDP/TCP checksum of the frame at `off`. */
export function fillChecksums(buf: Uint8Array, off: number): void {
  const ip = off + ETH_HLEN;
  const ihl = (buf[ip] & 0x0f) * 4;
  const total = (buf[ip + 2] << 8) | buf[ip + 3];
  writeU16(buf, ip + IP_CSUM, 0);
  writeU16(buf, ip + IP_CSUM, ipv4HeaderChecksum(buf, ip, ihl));
  const l4 = ip + ihl;
  const l4Len = total - ihl;
  if (buf[ip + 9] === PROTO_UDP) {
    let c = l4Checksum(buf, ip, l4, l4Len, UDP_CSUM);
    if (c === 0) c = 0xffff; // 0 would mean "no checksum"
    writeU16(buf, l4 + UDP_CSUM, c);
  } else if (buf[ip + 9] === PROTO_TCP) {
    writeU16(buf, l4 + TCP_CSUM, l4Checksum(buf, ip, l4, l4Len, TCP_CSUM));
  }
}

/** Builds a complete frame with a zero payload into a new Buffer (tests, templates; not hot paths). */
export function buildFrame(spec: FrameSpec, payload?: Uint8Array): Buffer {
  const buf = Buffer.alloc(spec.frameLen);
  writeHeaders(buf, 0, spec);
  if (payload) buf.set(payload.subarray(0, spec.frameLen - headerLen(spec.proto)), headerLen(spec.proto));
  fillChecksums(buf, 0);
  return buf;
}

/** Parses dotted-quad IPv4 text to an unsigned 32-bit number; throws on bad input. */
export function ipFromString(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) throw new Error(`"${s}" is not an IPv4 address`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new Error(`"${s}" is not an IPv4 address`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}
