// A log-linear histogram of nanosecond values (HDR style: 2^k ranges cut into 16 linear
// sub-buckets, about 6 % relative error). Recording is an index computation and an increment,
// cheap enough for every packet; quantiles and Prometheus buckets are derived when read.

const SUB = 16; // sub-buckets per power of two
const MAX_EXP = 40; // up to 2^40 ns, about 18 minutes

export class LogHistogram {
  readonly counts = new Float64Array(MAX_EXP * SUB);
  count = 0;
  sum = 0;
  max = 0;
  min = Infinity;

  static indexOf(v: number): number {
    if (v < SUB) return v < 0 ? 0 : Math.floor(v);
    let e: number;
    let sub: number;
    if (v < 4294967296) {
      // integer fast path: the exponent from the leading zeros, the sub-bucket from the next 4 bits
      const u = v >>> 0;
      e = 31 - Math.clz32(u);
      sub = (u >>> (e - 4)) & (SUB - 1);
    } else {
      e = Math.floor(Math.log2(v)); // v in [2^e, 2^(e+1))
      sub = Math.min(SUB - 1, Math.floor((v / 2 ** e - 1) * SUB));
    }
    const i = (e - 3) * SUB + sub; // e >= 4 here; indices below 16 are the exact small values
    return i >= MAX_EXP * SUB ? MAX_EXP * SUB - 1 : i;
  }

  /** Upper bound of bucket i (values in the bucket are < this). */
  static upperOf(i: number): number {
    if (i < SUB) return i + 1;
    const e = Math.floor(i / SUB) + 3;
    const sub = i % SUB;
    return 2 ** e * (1 + (sub + 1) / SUB);
  }

  record(v: number): void {
    this.counts[LogHistogram.indexOf(v)]++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
  }

  /** Records `n` occurrences of the same value. */
  recordN(v: number, n: number): void {
    this.counts[LogHistogram.indexOf(v)] += n;
    this.count += n;
    this.sum += v * n;
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
  }

  /** Value at quantile q (0..1): the bucket's upper bound, clamped to the observed max. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.max(1, Math.ceil(q * this.count));
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i];
      if (acc >= target) return Math.min(LogHistogram.upperOf(i), this.max);
    }
    return this.max;
  }

  /** Cumulative counts at the given upper bounds (for Prometheus `le` buckets). */
  cumulative(bounds: readonly number[]): number[] {
    const out = new Array<number>(bounds.length).fill(0);
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i];
      if (c === 0) continue;
      const up = LogHistogram.upperOf(i);
      for (let b = 0; b < bounds.length; b++) if (up <= bounds[b]) out[b] += c;
    }
    return out;
  }

  merge(o: LogHistogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += o.counts[i];
    this.count += o.count;
    this.sum += o.sum;
    this.max = Math.max(this.max, o.max);
    this.min = Math.min(this.min, o.min);
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
    this.min = Infinity;
  }
}

/** Quantiles over what a histogram recorded since a saved copy of its counts (live tables). */
export function quantileSince(h: LogHistogram, prev: Float64Array, q: number): number {
  let total = 0;
  for (let i = 0; i < h.counts.length; i++) total += h.counts[i] - prev[i];
  if (total <= 0) return 0;
  const target = Math.max(1, Math.ceil(q * total));
  let acc = 0;
  for (let i = 0; i < h.counts.length; i++) {
    acc += h.counts[i] - prev[i];
    if (acc >= target) return Math.min(LogHistogram.upperOf(i), h.max);
  }
  return h.max;
}
