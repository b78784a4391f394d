// libpcap file format: a 24-byte global header, then records of a 16-byte header and the
// captured bytes. The magic tells both byte order and timestamp resolution.

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_GLOBAL_HLEN = 24;
export const PCAP_RECORD_HLEN = 16;
export const LINKTYPE_ETHERNET = 1;
export const DEFAULT_SNAPLEN = 262144;

export type PcapResolution = 'us' | 'ns';
export type ByteOrder = 'le' | 'be';

export class PcapError extends Error {
  constructor(message: string, readonly file: string, readonly offset: number) {
    super(`${file}: ${message} at offset ${offset}`);
    this.name = 'PcapError';
  }
}
