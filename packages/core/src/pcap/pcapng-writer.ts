// pcapng's layout for PcapWriter: a section header block, one interface description block
// (the link type, with `if_tsresol` saying nanoseconds or microseconds), then one enhanced
// packet block per record.

import { PCAPNG_BYTE_ORDER_MAGIC, PCAPNG_EPB, PCAPNG_IDB, PCAPNG_IF_TSRESOL, PCAPNG_SHB } from './format';
import type { RecordLayout } from './writer';

const SHB_OPT_USERAPPL = 4;
const USERAPPL = Buffer.from('vnflab');
const EPB_FIXED = 32; // type, length, interface, timestamp (2), captured and original length, trailer

const pad4 = (n: number): number => (n + 3) & ~3;

export class PcapngLayout implements RecordLayout {
  readonly fileHeader: Buffer;

  constructor(
    private readonly le: boolean,
    private readonly ns: boolean,
    snaplen: number,
    linkType: number,
  ) {
    const shbLen = 24 + 4 + pad4(USERAPPL.length) + 4 + 4;
    const idbLen = 16 + 8 + 4 + 4;
    const h = Buffer.alloc(shbLen + idbLen);
    this.u32(h, 0, PCAPNG_SHB);
    this.u32(h, 4, shbLen);
    this.u32(h, 8, PCAPNG_BYTE_ORDER_MAGIC);
    this.u16(h, 12, 1); // version 1.0
    this.u16(h, 14, 0);
    h.fill(0xff, 16, 24); // section length: not given
    this.u16(h, 24, SHB_OPT_USERAPPL);
    this.u16(h, 26, USERAPPL.length);
    USERAPPL.copy(h, 28);
    // opt_endofopt: the zeros already there
    this.u32(h, shbLen - 4, shbLen);
    const i = shbLen;
    this.u32(h, i, PCAPNG_IDB);
    this.u32(h, i + 4, idbLen);
    this.u16(h, i + 8, linkType);
    this.u32(h, i + 12, snaplen);
    this.u16(h, i + 16, PCAPNG_IF_TSRESOL);
    this.u16(h, i + 18, 1);
    h[i + 20] = ns ? 9 : 6; // 10^-9 or 10^-6 seconds
    this.u32(h, i + idbLen - 4, idbLen);
    this.fileHeader = h;
  }

  private u32(b: Buffer, o: number, v: number): void {
    if (this.le) b.writeUInt32LE(v >>> 0, o);
    else b.writeUInt32BE(v >>> 0, o);
  }
  private u16(b: Buffer, o: number, v: number): void {
    if (this.le) b.writeUInt16LE(v, o);
    else b.writeUInt16BE(v, o);
  }

  recordSize(capLen: number): number {
    return EPB_FIXED + pad4(capLen);
  }

  write(
    b: Buffer,
    o: number,
    data: Uint8Array,
    off: number,
    capLen: number,
    origLen: number,
    sec: number,
    nsec: number,
  ): void {
    const len = EPB_FIXED + pad4(capLen);
    this.u32(b, o, PCAPNG_EPB);
    this.u32(b, o + 4, len);
    this.u32(b, o + 8, 0); // interface 0
    let hi: number;
    let lo: number;
    if (this.ns) {
      // sec * 1e9 + nsec reaches 2^61: split sec in 16-bit halves so every product stays exact
      const a = (sec % 65536) * 1e9 + nsec; // < 2^47
      const b2 = Math.floor(sec / 65536) * 1e9; // < 2^46, to be shifted by 16 bits
      const x = (b2 % 65536) * 65536 + a; // < 2^48
      hi = Math.floor(b2 / 65536) + Math.floor(x / 4294967296);
      lo = x % 4294967296;
    } else {
      const ts = sec * 1e6 + Math.floor(nsec / 1e3); // < 2^53 for any 32-bit second
      hi = Math.floor(ts / 4294967296);
      lo = ts % 4294967296;
    }
    this.u32(b, o + 12, hi);
    this.u32(b, o + 16, lo);
    this.u32(b, o + 20, capLen);
    this.u32(b, o + 24, origLen);
    b.set(data.subarray(off, off + capLen), o + 28);
    b.fill(0, o + 28 + capLen, o + len - 4);
    this.u32(b, o + len - 4, len);
  }
}
