// Normalises a captured frame of any supported link type to Ethernet, the only framing the chain
// parses: raw IPv4 and Linux cooked (SLL v1 and v2) frames get a synthetic Ethernet header with
// ethertype IPv4. A frame that cannot be normalised keeps its bytes and names why, so the replay
// sends it and drops it with that reason instead of losing it silently.

import { DEFAULT_DST_MAC, DEFAULT_SRC_MAC } from '../packet/build';
import { ETH_HLEN, ETHERTYPE_IPV4 } from '../packet/layout';
import { LINKTYPE_ETHERNET } from './format';

/** Raw IP: IPv4 or IPv6, told apart by the version nibble. */
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Drop reasons a capture record may carry (names registered in reasons.ts). */
export type CaptureDropReason = 'pcap_link_type' | 'not_ipv4' | 'truncated';

export interface NormalisedFrame {
  data: Buffer;
  /** Set when the frame could not be made Ethernet/IPv4; `data` is then the bytes as captured. */
  drop?: CaptureDropReason;
}

const SLL_HLEN = 16;
const SLL2_HLEN = 20;

/** An Ethernet frame around the IPv4 packet `ip`; a 6-byte link-layer source is kept as the source MAC. */
function ethernetAround(ip: Buffer, src?: Buffer): Buffer {
  const out = Buffer.allocUnsafe(ETH_HLEN + ip.length);
  // the generator's own (locally administered) addresses: no stage routes on MAC addresses
  out.set(DEFAULT_DST_MAC, 0);
  out.set(src ?? DEFAULT_SRC_MAC, 6);
  out.writeUInt16BE(ETHERTYPE_IPV4, 12);
  ip.copy(out, ETH_HLEN);
  return out;
}

/** Raw IP: an IPv6 packet is not the chain's; anything else is wrapped and judged by the parser. */
function fromRaw(data: Buffer, ipv4Only: boolean): NormalisedFrame {
  if (!ipv4Only && data.length > 0 && data[0] >> 4 === 6) return { data, drop: 'not_ipv4' };
  return { data: ethernetAround(data) };
}

/** Linux cooked v1: packet type, ARPHRD type, address length, 8 address bytes, protocol. */
function fromSll(data: Buffer): NormalisedFrame {
  if (data.length < SLL_HLEN) return { data, drop: 'truncated' };
  if (data.readUInt16BE(14) !== ETHERTYPE_IPV4) return { data, drop: 'not_ipv4' };
  const addrLen = data.readUInt16BE(4);
  return { data: ethernetAround(data.subarray(SLL_HLEN), addrLen === 6 ? data.subarray(6, 12) : undefined) };
}

/** Linux cooked v2: protocol first, then reserved, interface index, ARPHRD, packet type, address. */
function fromSll2(data: Buffer): NormalisedFrame {
  if (data.length < SLL2_HLEN) return { data, drop: 'truncated' };
  if (data.readUInt16BE(0) !== ETHERTYPE_IPV4) return { data, drop: 'not_ipv4' };
  const addrLen = data[11];
  return { data: ethernetAround(data.subarray(SLL2_HLEN), addrLen === 6 ? data.subarray(12, 18) : undefined) };
}

/** The frame as Ethernet, or its bytes with the reason it cannot be. Ethernet frames are returned as they are. */
export function normaliseToEthernet(linkType: number, data: Buffer): NormalisedFrame {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return { data };
    case LINKTYPE_RAW:
      return fromRaw(data, false);
    case LINKTYPE_IPV4:
      return fromRaw(data, true);
    case LINKTYPE_LINUX_SLL:
      return fromSll(data);
    case LINKTYPE_LINUX_SLL2:
      return fromSll2(data);
    default:
      return { data, drop: 'pcap_link_type' };
  }
}
