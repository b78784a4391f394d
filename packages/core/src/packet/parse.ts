// Parses Ethernet II / IPv4 / UDP|TCP in place. Results go into a caller-owned ParsedFrame that
// is reused for every packet, so parsing allocates nothing. Each failure returns a named reason.

import { Reason } from '../reasons';
import { ipv4HeaderValid, l4ChecksumValid } from './checksum';
import {
  ETH_HLEN,
  ETH_TYPE_OFF,
  ETHERTYPE_IPV4,
  ETHERTYPE_VLAN,
  IPV4_MIN_HLEN,
  IP_FRAG,
  IP_FLAG_MF,
  IP_FRAG_OFFSET_MASK,
  IP_PROTO,
  IP_TOTAL_LEN,
  IP_TTL,
  IP_SRC,
  IP_DST,
  PROTO_TCP,
  PROTO_UDP,
  UDP_HLEN,
  UDP_LEN,
  TCP_MIN_HLEN,
  TCP_DATA_OFF,
} from './layout';

export class ParsedFrame {
  l3Off = 0;
  ihl = 0; // IPv4 header length in bytes
  ipTotalLen = 0;
  proto = 0;
  srcIp = 0; // unsigned 32-bit
  dstIp = 0;
  l4Off = 0;
  l4Len = 0;
  srcPort = 0;
  dstPort = 0;
  payloadOff = 0;
  payloadLen = 0;
}

export interface ParseOptions {
  /** Verify the IPv4 header checksum (default true). */
  ipChecksum?: boolean;
  /** Verify the UDP/TCP checksum over the pseudo-header (default true). */
  l4Checksum?: boolean;
}

function u32(buf: Uint8Array, o: number): number {
  return ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
}

/** Ethernet demux: returns the L3 offset of an IPv4 packet, or a negative reason code. */
export function parseEthernet(buf: Uint8Array, off: number, len: number): number {
  if (len < ETH_HLEN) return -Reason.truncated;
  let type = (buf[off + ETH_TYPE_OFF] << 8) | buf[off + ETH_TYPE_OFF + 1];
  let l3 = off + ETH_HLEN;
  if (type === ETHERTYPE_VLAN) {
    if (len < ETH_HLEN + 4) return -Reason.truncated;
    type = (buf[off + 16] << 8) | buf[off + 17];
    l3 += 4;
  }
  return type === ETHERTYPE_IPV4 ? l3 : -Reason.not_ipv4;
}

/** Validates the IPv4 header at `l3` (frame ends at `end`); fills `out`. Returns 0 or a reason. */
export function parseIpv4(buf: Uint8Array, l3: number, end: number, out: ParsedFrame, verifyChecksum = true): number {
  if (end - l3 < IPV4_MIN_HLEN) return Reason.truncated;
  const vihl = buf[l3];
  if (vihl >> 4 !== 4) return Reason.bad_version;
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < IPV4_MIN_HLEN) return Reason.bad_ihl;
  if (l3 + ihl > end) return Reason.truncated;
  const total = (buf[l3 + IP_TOTAL_LEN] << 8) | buf[l3 + IP_TOTAL_LEN + 1];
  if (total < ihl) return Reason.bad_total_length;
  if (l3 + total > end) return Reason.truncated;
  const frag = (buf[l3 + IP_FRAG] << 8) | buf[l3 + IP_FRAG + 1];
  if (frag & (IP_FLAG_MF | IP_FRAG_OFFSET_MASK)) return Reason.fragment;
  if (buf[l3 + IP_TTL] === 0) return Reason.ttl_expired;
  if (verifyChecksum && !ipv4HeaderValid(buf, l3, ihl)) return Reason.bad_ip_checksum;
  out.l3Off = l3;
  out.ihl = ihl;
  out.ipTotalLen = total;
  out.proto = buf[l3 + IP_PROTO];
  out.srcIp = u32(buf, l3 + IP_SRC);
  out.dstIp = u32(buf, l3 + IP_DST);
  out.l4Off = l3 + ihl;
  out.l4Len = total - ihl;
  return 0;
}

/** Validates the UDP or TCP header (and checksum) after parseIpv4. Returns 0 or a reason. */
export function parseL4(buf: Uint8Array, out: ParsedFrame, verifyChecksum = true): number {
  const l4 = out.l4Off;
  const l4Len = out.l4Len;
  if (out.proto === PROTO_UDP) {
    if (l4Len < UDP_HLEN) return Reason.truncated;
    const ulen = (buf[l4 + UDP_LEN] << 8) | buf[l4 + UDP_LEN + 1];
    if (ulen < UDP_HLEN || ulen > l4Len) return Reason.bad_l4_length;
    // A zero UDP checksum means "not computed" (RFC 768).
    if (verifyChecksum && (buf[l4 + 6] | buf[l4 + 7]) !== 0 && !l4ChecksumValid(buf, out.l3Off, l4, ulen)) {
      return Reason.bad_l4_checksum;
    }
    out.payloadOff = l4 + UDP_HLEN;
    out.payloadLen = ulen - UDP_HLEN;
  } else if (out.proto === PROTO_TCP) {
    if (l4Len < TCP_MIN_HLEN) return Reason.truncated;
    const doff = (buf[l4 + TCP_DATA_OFF] >> 4) * 4;
    if (doff < TCP_MIN_HLEN || doff > l4Len) return Reason.bad_l4_length;
    if (verifyChecksum && !l4ChecksumValid(buf, out.l3Off, l4, l4Len)) return Reason.bad_l4_checksum;
    out.payloadOff = l4 + doff;
    out.payloadLen = l4Len - doff;
  } else {
    return Reason.unsupported_l4;
  }
  out.srcPort = (buf[l4] << 8) | buf[l4 + 1];
  out.dstPort = (buf[l4 + 2] << 8) | buf[l4 + 3];
  return 0;
}

/** Full parse of one frame. Returns 0 (ok) or a drop reason code. */
export function parseFrame(buf: Uint8Array, off: number, len: number, out: ParsedFrame, opts?: ParseOptions): number {
  const l3 = parseEthernet(buf, off, len);
  if (l3 < 0) return -l3;
  const r = parseIpv4(buf, l3, off + len, out, opts?.ipChecksum !== false);
  if (r !== 0) return r;
  return parseL4(buf, out, opts?.l4Checksum !== false);
}
