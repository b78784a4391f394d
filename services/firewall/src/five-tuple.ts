// Reads a frame's 5-tuple for the firewall: Ethernet (VLAN tag allowed), IPv4, then the UDP or
// TCP ports. ICMP and every other IPv4 protocol pass with ports 0, so rules on them can match
// (core's parseFrame refuses them as unsupported_l4). Checksums are not verified: a firewall
// filters on headers and leaves checksums to the endpoints, as the lb does.

import * as core from '@vnflab/core';
import type { ParsedFrame } from '@vnflab/core';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { PROTO_TCP, PROTO_UDP, parseEthernet, parseIpv4, parseL4 } = core;

/** Fills `out` (proto, srcIp, dstIp, srcPort, dstPort); returns 0 or a core drop reason (truncated, not_ipv4, ...). */
export function readFiveTuple(buf: Uint8Array, off: number, len: number, out: ParsedFrame): number {
  const l3 = parseEthernet(buf, off, len);
  if (l3 < 0) return -l3;
  const r = parseIpv4(buf, l3, off + len, out, false);
  if (r !== 0) return r;
  if (out.proto === PROTO_UDP || out.proto === PROTO_TCP) return parseL4(buf, out, false);
  out.srcPort = 0;
  out.dstPort = 0;
  return 0;
}
