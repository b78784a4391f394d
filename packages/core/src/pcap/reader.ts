// Reads libpcap captures of either byte order and resolution. A truncated or corrupt file is an
// error that names the file offset; records of a link type other than Ethernet are skipped and
// counted. Whole-file read: captures the lab replays fit in memory.

import { readFileSync } from 'node:fs';
import { LINKTYPE_ETHERNET, PCAP_GLOBAL_HLEN, PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_RECORD_HLEN, PcapError, type ByteOrder, type PcapResolution } from './format';

export interface PcapRecord {
  /** Capture time: seconds and nanoseconds since the Unix epoch. */
  sec: number;
  nsec: number;
  data: Buffer; // a view into the file buffer
  origLen: number;
}

export interface PcapCapture {
  resolution: PcapResolution;
  byteOrder: ByteOrder;
  linkType: number;
  snaplen: number;
  records: PcapRecord[];
  /** Records skipped because the link type is not Ethernet. */
  skippedLinkType: number;
}

/** Largest record we accept; a bigger length field means the file is corrupt. */
const MAX_RECORD = 262144;

export function parsePcap(file: Buffer, name = '<buffer>'): PcapCapture {
  if (file.length < PCAP_GLOBAL_HLEN) throw new PcapError(`truncated global header (${file.length} of ${PCAP_GLOBAL_HLEN} bytes)`, name, file.length);
  const m = file.readUInt32LE(0);
  let le: boolean;
  let ns: boolean;
  if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) {
    le = true;
    ns = m === PCAP_MAGIC_NS;
  } else {
    const mb = file.readUInt32BE(0);
    if (mb !== PCAP_MAGIC_US && mb !== PCAP_MAGIC_NS) {
      throw new PcapError(`not a pcap file (magic 0x${m.toString(16)}; pcapng is not supported)`, name, 0);
    }
    le = false;
    ns = mb === PCAP_MAGIC_NS;
  }
  const u32 = (o: number): number => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const major = le ? file.readUInt16LE(4) : file.readUInt16BE(4);
  if (major !== 2) throw new PcapError(`unsupported pcap version ${major}`, name, 4);
  const snaplen = u32(16);
  const linkType = u32(20) & 0x0fffffff; // upper bits carry FCS info in newer files
  const records: PcapRecord[] = [];
  let skipped = 0;
  let o = PCAP_GLOBAL_HLEN;
  while (o < file.length) {
    if (file.length - o < PCAP_RECORD_HLEN) throw new PcapError(`truncated record header (${file.length - o} of ${PCAP_RECORD_HLEN} bytes)`, name, o);
    const sec = u32(o);
    const frac = u32(o + 4);
    const capLen = u32(o + 8);
    const origLen = u32(o + 12);
    if (capLen > MAX_RECORD) throw new PcapError(`corrupt record length ${capLen}`, name, o + 8);
    if (frac >= (ns ? 1e9 : 1e6)) throw new PcapError(`corrupt timestamp fraction ${frac}`, name, o + 4);
    const start = o + PCAP_RECORD_HLEN;
    if (start + capLen > file.length) throw new PcapError(`truncated record: ${capLen} bytes announced, ${file.length - start} present`, name, o);
    if (linkType === LINKTYPE_ETHERNET) {
      records.push({ sec, nsec: ns ? frac : frac * 1e3, data: file.subarray(start, start + capLen), origLen });
    } else {
      skipped++;
    }
    o = start + capLen;
  }
  return { resolution: ns ? 'ns' : 'us', byteOrder: le ? 'le' : 'be', linkType, snaplen, records, skippedLinkType: skipped };
}

/** Nanoseconds from record `a` to record `b` (exact for captures shorter than 104 days). */
export function recordGapNs(a: PcapRecord, b: PcapRecord): number {
  return (b.sec - a.sec) * 1e9 + (b.nsec - a.nsec);
}

export function readPcap(path: string): PcapCapture {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (e) {
    throw new PcapError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, path, 0);
  }
  return parsePcap(file, path);
}
