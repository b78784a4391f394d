// Destination NAT with incremental checksum updates (RFC 1624): the LB rewrites address and
// port without re-summing the packet.

import { csumUpdate16, csumUpdate32 } from './checksum';
import { IP_CSUM, IP_DST, PROTO_TCP, PROTO_UDP, TCP_CSUM, UDP_CSUM } from './layout';
import { writeU16, writeU32 } from './build';

function r16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
function r32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Rewrites the destination address and port of an IPv4 UDP/TCP packet at `ipOff` in place. */
export function rewriteDestination(
  buf: Uint8Array,
  ipOff: number,
  l4Off: number,
  newIp: number,
  newPort: number,
): void {
  const oldIp = r32(buf, ipOff + IP_DST);
  const proto = buf[ipOff + 9];
  writeU16(buf, ipOff + IP_CSUM, csumUpdate32(r16(buf, ipOff + IP_CSUM), oldIp, newIp));
  writeU32(buf, ipOff + IP_DST, newIp);
  const oldPort = r16(buf, l4Off + 2);
  writeU16(buf, l4Off + 2, newPort);
  const csumOff = proto === PROTO_UDP ? l4Off + UDP_CSUM : proto === PROTO_TCP ? l4Off + TCP_CSUM : -1;
  if (csumOff < 0) return;
  const old = r16(buf, csumOff);
  if (proto === PROTO_UDP && old === 0) return; // no UDP checksum to update
  let c = csumUpdate32(old, oldIp, newIp); // the address is in the pseudo-header
  c = csumUpdate16(c, oldPort, newPort);
  if (proto === PROTO_UDP && c === 0) c = 0xffff;
  writeU16(buf, csumOff, c);
}
