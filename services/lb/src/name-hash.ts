// The two hashes of a backend's name that give its Maglev preference list (offset and skip).
// They hash the name, not the address, so a backend keeps its slots when it moves host, and
// every load balancer with the same backend names builds the same table. Strings are fine
// here: this runs on table builds, never per packet.

import { fmix32 } from '@vnflab/core';

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** murmur3-style 32-bit hash over the name's UTF-16 code units; different seeds are independent. */
export function nameHash(name: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) {
    let k = Math.imul(name.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul(rotl(k, 15), 0x1b873593);
    h ^= k;
    h = (Math.imul(rotl(h, 13), 5) + 0xe6546b64) | 0;
  }
  h ^= name.length;
  // fmix32: names that differ in one character land far apart
  return fmix32(h);
}

const SEED_OFFSET = 0x4d61676c; // "Magl"
const SEED_SKIP = 0x65764c42; // "evLB"

export function h1(name: string): number {
  return nameHash(name, SEED_OFFSET);
}

export function h2(name: string): number {
  return nameHash(name, SEED_SKIP);
}
