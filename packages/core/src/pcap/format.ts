// libpcap file format: a 24-byte global header, then records of a 16-byte header and the
// captured bytes. The magic tells both byte order and timestamp resolution.

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_GLOBAL_HLEN = 24;
export const PCAP_RECORD_HLEN = 16;
export const LINKTYPE_ETHERNET = 1;
export const DEFAULT_SNAPLEN = 262144;
/** Largest record we accept; a bigger length field means the file is corrupt. */
export const MAX_RECORD_LEN = 262144;

export type PcapResolution = 'us' | 'ns';
export type ByteOrder = 'le' | 'be';

export class PcapError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super(`${file}: ${message} at offset ${offset}`);
    this.name = 'PcapError';
  }
}

// pcapng: a sequence of blocks (type, total length, body, total length again), each section
// opened by a section header block whose byte-order magic tells the section's byte order.
export const PCAPNG_SHB = 0x0a0d0d0a; // the same in either byte order
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const PCAPNG_IDB = 1;
export const PCAPNG_SPB = 3;
export const PCAPNG_EPB = 6;
export const PCAPNG_OPT_END = 0;
export const PCAPNG_IF_TSRESOL = 9;
export const PCAPNG_IF_TSOFFSET = 14;
