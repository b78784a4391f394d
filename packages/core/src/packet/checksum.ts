// The Internet checksum (RFC 1071) over Buffer ranges, the UDP/TCP pseudo-header sum, and the
// incremental update of RFC 1624 used when a middlebox rewrites an address or a port.

import { IP_SRC, IP_PROTO, IP_CSUM } from './layout';

/**
 * One's-complement sum of `len` bytes from `off`, folded to 16 bits, starting from `seed`.
 * The 16-bit big-endian words are summed as two byte lanes (RFC 1071 §2(B): the sum does not
 * depend on byte order), the high bytes and the low bytes, 16 bytes per turn; the lanes are joined
 * (high * 256 + low) and folded once at the end. Every byte is still read and added once.
 */
export function onesSum(buf: Uint8Array, off: number, len: number, seed = 0): number {
  let hi = 0;
  let lo = 0;
  let i = off;
  const end16 = off + (len & ~15);
  const end2 = off + (len & ~1);
  // each turn adds at most 8 * 255 to a lane: 2^20 bytes keep both lanes far below 2^31
  while (i < end16) {
    const stop = Math.min(end16, i + 0x100000);
    for (; i < stop; i += 16) {
      hi += buf[i] + buf[i + 2] + buf[i + 4] + buf[i + 6] + buf[i + 8] + buf[i + 10] + buf[i + 12] + buf[i + 14];
      lo += buf[i + 1] + buf[i + 3] + buf[i + 5] + buf[i + 7] + buf[i + 9] + buf[i + 11] + buf[i + 13] + buf[i + 15];
    }
    hi = (hi & 0xffff) + (hi >>> 16);
    lo = (lo & 0xffff) + (lo >>> 16);
  }
  for (; i < end2; i += 2) {
    hi += buf[i];
    lo += buf[i + 1];
  }
  if (len & 1) hi += buf[off + len - 1];
  let sum = hi * 256 + lo + seed;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Checksum of an IPv4 header as it should be stored (the header's checksum field is skipped). */
export function ipv4HeaderChecksum(buf: Uint8Array, ipOff: number, ihlBytes: number): number {
  let sum = onesSum(buf, ipOff, IP_CSUM);
  sum = onesSum(buf, ipOff + IP_CSUM + 2, ihlBytes - IP_CSUM - 2, sum);
  return ~sum & 0xffff;
}

/** True when the IPv4 header sums to 0xffff, checksum field included. */
export function ipv4HeaderValid(buf: Uint8Array, ipOff: number, ihlBytes: number): boolean {
  return onesSum(buf, ipOff, ihlBytes) === 0xffff;
}

/** Sum of the IPv4 pseudo-header: source, destination, protocol and L4 length. */
export function pseudoHeaderSum(buf: Uint8Array, ipOff: number, l4Len: number): number {
  let sum = onesSum(buf, ipOff + IP_SRC, 8);
  sum += buf[ipOff + IP_PROTO] + l4Len;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * UDP/TCP checksum to store, computed over pseudo-header and segment with the checksum field
 * (at `csumOff` inside the segment) treated as zero.
 */
export function l4Checksum(buf: Uint8Array, ipOff: number, l4Off: number, l4Len: number, csumOff: number): number {
  let sum = pseudoHeaderSum(buf, ipOff, l4Len);
  sum = onesSum(buf, l4Off, csumOff, sum);
  sum = onesSum(buf, l4Off + csumOff + 2, l4Len - csumOff - 2, sum);
  return ~sum & 0xffff;
}

/** True when pseudo-header plus segment (checksum included) sums to 0xffff. */
export function l4ChecksumValid(buf: Uint8Array, ipOff: number, l4Off: number, l4Len: number): boolean {
  return onesSum(buf, l4Off, l4Len, pseudoHeaderSum(buf, ipOff, l4Len)) === 0xffff;
}

/**
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit field changing from m to m'.
 * Works for any checksum covering the field (IPv4 header, UDP/TCP via the pseudo-header).
 */
export function csumUpdate16(hc: number, oldWord: number, newWord: number): number {
  let sum = (~hc & 0xffff) + (~oldWord & 0xffff) + newWord;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** RFC 1624 update for a 32-bit field (an IPv4 address), as two 16-bit words. */
export function csumUpdate32(hc: number, oldValue: number, newValue: number): number {
  hc = csumUpdate16(hc, oldValue >>> 16, newValue >>> 16);
  return csumUpdate16(hc, oldValue & 0xffff, newValue & 0xffff);
}
