// 5-tuple hash over numbers (no strings, no allocation): used for flow identity, ECMP-style
// spreading and conntrack.

function mix(h: number, v: number): number {
  h ^= v;
  h = Math.imul(h, 0x01000193); // FNV-1a prime, 32-bit
  return h >>> 0;
}

export function flowHash(srcIp: number, dstIp: number, proto: number, srcPort: number, dstPort: number): number {
  let h = 0x811c9dc5;
  h = mix(h, srcIp);
  h = mix(h, dstIp);
  h = mix(h, (proto << 16) | srcPort);
  h = mix(h, dstPort);
  // final avalanche so low bits are usable as table indices
  return fmix32(h);
}

/** murmur3's finalizer: every input bit flips about half the output bits. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
