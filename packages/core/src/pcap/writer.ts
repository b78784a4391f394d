// Writes libpcap captures (Ethernet link type) in either byte order and timestamp resolution.
// Records are buffered and written in chunks, so a capture of a fast run costs few syscalls.

import { closeSync, openSync, writeSync } from 'node:fs';
import { DEFAULT_SNAPLEN, LINKTYPE_ETHERNET, PCAP_GLOBAL_HLEN, PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_RECORD_HLEN, type ByteOrder, type PcapResolution } from './format';

export interface PcapWriterOptions {
  resolution?: PcapResolution;
  byteOrder?: ByteOrder;
  snaplen?: number;
  linkType?: number;
}

const CHUNK = 1 << 20;

export class PcapWriter {
  private readonly fd: number;
  private readonly chunk = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  private readonly le: boolean;
  private readonly ns: boolean;
  private readonly snaplen: number;
  packets = 0;

  constructor(readonly path: string, opts: PcapWriterOptions = {}) {
    this.le = (opts.byteOrder ?? 'le') === 'le';
    this.ns = (opts.resolution ?? 'us') === 'ns';
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    this.fd = openSync(path, 'w');
    const h = Buffer.alloc(PCAP_GLOBAL_HLEN);
    this.u32(h, 0, this.ns ? PCAP_MAGIC_NS : PCAP_MAGIC_US);
    this.u16(h, 4, 2);
    this.u16(h, 6, 4);
    this.u32(h, 8, 0); // thiszone
    this.u32(h, 12, 0); // sigfigs
    this.u32(h, 16, this.snaplen);
    this.u32(h, 20, opts.linkType ?? LINKTYPE_ETHERNET);
    writeSync(this.fd, h);
  }

  private u32(b: Buffer, o: number, v: number): void {
    if (this.le) b.writeUInt32LE(v >>> 0, o);
    else b.writeUInt32BE(v >>> 0, o);
  }
  private u16(b: Buffer, o: number, v: number): void {
    if (this.le) b.writeUInt16LE(v, o);
    else b.writeUInt16BE(v, o);
  }

  /**
   * Appends one record captured at `sec` seconds and `nsec` nanoseconds since the Unix epoch
   * (two numbers: nanoseconds since 1970 do not fit a double exactly).
   */
  write(data: Uint8Array, off: number, len: number, sec: number, nsec: number, origLen = len): void {
    const capLen = Math.min(len, this.snaplen);
    if (this.used + PCAP_RECORD_HLEN + capLen > CHUNK) this.flush();
    if (PCAP_RECORD_HLEN + capLen > CHUNK) throw new RangeError('record larger than the write buffer');
    const frac = this.ns ? nsec : Math.floor(nsec / 1e3);
    const b = this.chunk;
    const o = this.used;
    this.u32(b, o, sec);
    this.u32(b, o + 4, frac);
    this.u32(b, o + 8, capLen);
    this.u32(b, o + 12, origLen);
    b.set(data.subarray(off, off + capLen), o + PCAP_RECORD_HLEN);
    this.used += PCAP_RECORD_HLEN + capLen;
    this.packets++;
  }

  flush(): void {
    if (this.used > 0) writeSync(this.fd, this.chunk, 0, this.used);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
