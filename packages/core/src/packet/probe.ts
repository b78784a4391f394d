// The measurement probe every generated packet carries at the start of its L4 payload (as
// TRex/MoonGen do): magic, flow index, per-flow sequence number, send timestamp.
//
//   0      2          6          10                  18
//   | magic | flow u32 | seq u32  | send ns u64 (CLOCK_MONOTONIC) |

export const PROBE_MAGIC = 0x564c; // "VL"
export const PROBE_LEN = 18;

const TWO32 = 4294967296;

export function writeProbe(buf: Uint8Array, o: number, flow: number, seq: number, sendNs: number): void {
  buf[o] = PROBE_MAGIC >>> 8;
  buf[o + 1] = PROBE_MAGIC & 0xff;
  buf[o + 2] = flow >>> 24;
  buf[o + 3] = (flow >>> 16) & 0xff;
  buf[o + 4] = (flow >>> 8) & 0xff;
  buf[o + 5] = flow & 0xff;
  buf[o + 6] = seq >>> 24;
  buf[o + 7] = (seq >>> 16) & 0xff;
  buf[o + 8] = (seq >>> 8) & 0xff;
  buf[o + 9] = seq & 0xff;
  const hi = Math.floor(sendNs / TWO32);
  const lo = sendNs - hi * TWO32;
  buf[o + 10] = hi >>> 24;
  buf[o + 11] = (hi >>> 16) & 0xff;
  buf[o + 12] = (hi >>> 8) & 0xff;
  buf[o + 13] = hi & 0xff;
  buf[o + 14] = lo >>> 24;
  buf[o + 15] = (lo >>> 16) & 0xff;
  buf[o + 16] = (lo >>> 8) & 0xff;
  buf[o + 17] = lo & 0xff;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** True when a probe starts at `o` and fits before `end`. */
export function hasProbe(buf: Uint8Array, o: number, end: number): boolean {
  return end - o >= PROBE_LEN && buf[o] === PROBE_MAGIC >>> 8 && buf[o + 1] === (PROBE_MAGIC & 0xff);
}
export function probeFlow(buf: Uint8Array, o: number): number {
  return u32(buf, o + 2);
}
export function probeSeq(buf: Uint8Array, o: number): number {
  return u32(buf, o + 6);
}
export function probeSendNs(buf: Uint8Array, o: number): number {
  return u32(buf, o + 10) * TWO32 + u32(buf, o + 14);
}
