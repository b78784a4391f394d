// Sequence numbers compare modulo 2^32 (RFC 9293 §3.4): a is before b when the signed 32-bit
// difference b - a is positive, which holds while the two are within 2^31 of each other.

/** a < b modulo 2^32. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
/** a <= b modulo 2^32. */
export function seqLeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
/** a > b modulo 2^32. */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
/** a >= b modulo 2^32. */
export function seqGeq(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}
/** a + n as an unsigned 32-bit sequence number. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
/** b - a as a signed distance (negative when b is before a). */
export function seqDiff(a: number, b: number): number {
  return (b - a) | 0;
}
/** lo <= x < hi modulo 2^32 (an empty range when lo = hi). */
export function seqInRange(x: number, lo: number, hi: number): boolean {
  return seqLeq(lo, x) && seqLt(x, hi);
}
