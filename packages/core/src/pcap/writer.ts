// Writes captures of Ethernet frames: libpcap (either byte order and timestamp resolution) or,
// with `format: 'pcapng'`, pcapng (pcapng-writer.ts lays out its blocks). Records are buffered
// and written in chunks, so a capture of a fast run costs few syscalls.

import { closeSync, openSync, writeSync } from 'node:fs';
import {
  DEFAULT_SNAPLEN,
  LINKTYPE_ETHERNET,
  PCAP_GLOBAL_HLEN,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAP_RECORD_HLEN,
  type ByteOrder,
  type PcapResolution,
} from './format';
import { PcapngLayout } from './pcapng-writer';

export type CaptureFormat = 'pcap' | 'pcapng';

export interface PcapWriterOptions {
  /** `pcap` (libpcap, the default) or `pcapng`. */
  format?: CaptureFormat;
  /** Timestamp resolution: libpcap defaults to `us`, pcapng to `ns`. */
  resolution?: PcapResolution;
  byteOrder?: ByteOrder;
  snaplen?: number;
  linkType?: number;
}

/** How one file format lays out its header and its records. */
export interface RecordLayout {
  /** Bytes written once, at the start of the file. */
  readonly fileHeader: Buffer;
  /** Bytes one record of `capLen` captured bytes takes. */
  recordSize(capLen: number): number;
  /** Writes one record at `b[o]`, `recordSize(capLen)` bytes. */
  write(
    b: Buffer,
    o: number,
    data: Uint8Array,
    off: number,
    capLen: number,
    origLen: number,
    sec: number,
    nsec: number,
  ): void;
}

/** libpcap: a 24-byte global header, then a 16-byte header before each record's bytes. */
class LibpcapLayout implements RecordLayout {
  readonly fileHeader = Buffer.alloc(PCAP_GLOBAL_HLEN);

  constructor(
    private readonly le: boolean,
    private readonly ns: boolean,
    snaplen: number,
    linkType: number,
  ) {
    const h = this.fileHeader;
    this.u32(h, 0, ns ? PCAP_MAGIC_NS : PCAP_MAGIC_US);
    this.u16(h, 4, 2);
    this.u16(h, 6, 4);
    this.u32(h, 8, 0); // thiszone
    this.u32(h, 12, 0); // sigfigs
    this.u32(h, 16, snaplen);
    this.u32(h, 20, linkType);
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
    return PCAP_RECORD_HLEN + capLen;
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
    this.u32(b, o, sec);
    this.u32(b, o + 4, this.ns ? nsec : Math.floor(nsec / 1e3));
    this.u32(b, o + 8, capLen);
    this.u32(b, o + 12, origLen);
    b.set(data.subarray(off, off + capLen), o + PCAP_RECORD_HLEN);
  }
}

const CHUNK = 1 << 20;

export class PcapWriter {
  private readonly fd: number;
  private readonly chunk = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  private readonly layout: RecordLayout;
  private readonly snaplen: number;
  readonly format: CaptureFormat;
  packets = 0;

  constructor(
    readonly path: string,
    opts: PcapWriterOptions = {},
  ) {
    this.format = opts.format ?? 'pcap';
    const le = (opts.byteOrder ?? 'le') === 'le';
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    const linkType = opts.linkType ?? LINKTYPE_ETHERNET;
    this.layout =
      this.format === 'pcapng'
        ? new PcapngLayout(le, (opts.resolution ?? 'ns') === 'ns', this.snaplen, linkType)
        : new LibpcapLayout(le, (opts.resolution ?? 'us') === 'ns', this.snaplen, linkType);
    this.fd = openSync(path, 'w');
    writeSync(this.fd, this.layout.fileHeader);
  }

  /**
   * Appends one record captured at `sec` seconds and `nsec` nanoseconds since the Unix epoch
   * (two numbers: nanoseconds since 1970 do not fit a double exactly).
   */
  write(data: Uint8Array, off: number, len: number, sec: number, nsec: number, origLen = len): void {
    const capLen = Math.min(len, this.snaplen);
    const size = this.layout.recordSize(capLen);
    if (this.used + size > CHUNK) this.flush();
    if (size > CHUNK) throw new RangeError('record larger than the write buffer');
    this.layout.write(this.chunk, this.used, data, off, capLen, origLen, sec, nsec);
    this.used += size;
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
