// IP-in-IP encapsulation (RFC 2003), as Katran forwards: an outer IPv4 header to the backend
// is put in front of the untouched client packet, and the backend decapsulates and answers the
// client directly (direct server return), so the inner destination stays the VIP. The outer
// header goes into the batch's headroom: the frame's start moves back 20 bytes and only the
// Ethernet header is copied, never the packet.
//
// The outer source is Katran's trick: a fixed prefix (172.16.0.0/16) with the low bits taken
// from the client's port and address, so a backend NIC's RSS hash spreads flows over its
// queues even though every packet comes from the same load balancer.

import * as core from '@vnflab/core';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { IPV4_MIN_HLEN, PROTO_IPIP, ipv4HeaderChecksum, writeU16, writeU32 } = core;

export const IPIP_HLEN = IPV4_MIN_HLEN;
export const IPIP_SRC_PREFIX = 0xac100000; // 172.16.0.0
export const OUTER_TTL = 64;

export function ipipSource(clientIp: number, clientPort: number): number {
  return (IPIP_SRC_PREFIX | ((clientPort ^ clientIp ^ (clientIp >>> 16)) & 0xffff)) >>> 0;
}

/**
 * Encapsulates the frame at `off` whose IPv4 header starts at `l3Off` (total length
 * `innerTotal`), writing 20 bytes before `off`; the caller checked the room and moves the
 * frame's offset back by IPIP_HLEN and its length up by IPIP_HLEN. Returns the new offset.
 */
export function encapIpip(
  buf: Uint8Array,
  off: number,
  l3Off: number,
  innerTotal: number,
  outerSrc: number,
  outerDst: number,
): number {
  const l2Len = l3Off - off;
  const newOff = off - IPIP_HLEN;
  buf.copyWithin(newOff, off, l3Off); // Ethernet (and VLAN) header moves in front
  const o = newOff + l2Len;
  const tos = buf[l3Off + 1];
  buf[o] = 0x45;
  buf[o + 1] = tos; // keep DSCP/ECN, as Katran does
  writeU16(buf, o + 2, innerTotal + IPIP_HLEN);
  writeU16(buf, o + 4, 0); // id
  writeU16(buf, o + 6, 0); // no DF: the outer packet may be fragmented on the way to the backend
  buf[o + 8] = OUTER_TTL;
  buf[o + 9] = PROTO_IPIP;
  writeU16(buf, o + 10, 0);
  writeU32(buf, o + 12, outerSrc);
  writeU32(buf, o + 16, outerDst);
  writeU16(buf, o + 10, ipv4HeaderChecksum(buf, o, IPIP_HLEN));
  return newOff;
}
