// Reads libpcap captures of either byte order and resolution. A truncated or corrupt file is an
// error that names the file offset; records are normalised to Ethernet (link-type.ts), and one
// that cannot be keeps its bytes and the drop reason the replay gives it. Whole-file read:
// captures the lab replays fit in memory.

import { FileReadError, readRegularFile } from '../bounded-read';
import {
  MAX_RECORD_LEN,
  PCAP_GLOBAL_HLEN,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAP_RECORD_HLEN,
  PcapError,
  type ByteOrder,
  type PcapResolution,
} from './format';
import { normaliseToEthernet, type CaptureDropReason } from './link-type';

export interface PcapRecord {
  /** Capture time: seconds and nanoseconds since the Unix epoch. */
  sec: number;
  nsec: number;
  /** The frame as Ethernet: a view into the file buffer, or a copy behind a synthetic header. */
  data: Buffer;
  origLen: number;
  /** Why the replay drops this record (it is still sent): a frame that cannot be made Ethernet/IPv4. */
  drop?: CaptureDropReason;
}

/** Records the replay will drop, by reason. */
export type CaptureDrops = Partial<Record<CaptureDropReason, number>>;

/** Appends one record normalised to Ethernet; one that cannot be is kept with its drop reason and counted. */
export function pushNormalisedRecord(
  records: PcapRecord[],
  drops: CaptureDrops,
  linkType: number,
  sec: number,
  nsec: number,
  raw: Buffer,
  origLen: number,
): void {
  const n = normaliseToEthernet(linkType, raw);
  if (n.drop) drops[n.drop] = (drops[n.drop] ?? 0) + 1;
  records.push(n.drop ? { sec, nsec, data: n.data, origLen, drop: n.drop } : { sec, nsec, data: n.data, origLen });
}

export interface PcapCapture {
  format: 'pcap';
  resolution: PcapResolution;
  byteOrder: ByteOrder;
  linkType: number;
  snaplen: number;
  records: PcapRecord[];
  /** Records that could not be normalised to Ethernet/IPv4, by the reason they are dropped with. */
  drops: CaptureDrops;
}

export function parsePcap(file: Buffer, name = '<buffer>'): PcapCapture {
  if (file.length < PCAP_GLOBAL_HLEN)
    throw new PcapError(`truncated global header (${file.length} of ${PCAP_GLOBAL_HLEN} bytes)`, name, file.length);
  const m = file.readUInt32LE(0);
  let le: boolean;
  let ns: boolean;
  if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) {
    le = true;
    ns = m === PCAP_MAGIC_NS;
  } else {
    const mb = file.readUInt32BE(0);
    if (mb !== PCAP_MAGIC_US && mb !== PCAP_MAGIC_NS) {
      throw new PcapError(`not a pcap file (magic 0x${m.toString(16)})`, name, 0);
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
  const drops: CaptureDrops = {};
  let o = PCAP_GLOBAL_HLEN;
  while (o < file.length) {
    if (file.length - o < PCAP_RECORD_HLEN)
      throw new PcapError(`truncated record header (${file.length - o} of ${PCAP_RECORD_HLEN} bytes)`, name, o);
    const sec = u32(o);
    const frac = u32(o + 4);
    const capLen = u32(o + 8);
    const origLen = u32(o + 12);
    if (capLen > MAX_RECORD_LEN) throw new PcapError(`corrupt record length ${capLen}`, name, o + 8);
    if (frac >= (ns ? 1e9 : 1e6)) throw new PcapError(`corrupt timestamp fraction ${frac}`, name, o + 4);
    const start = o + PCAP_RECORD_HLEN;
    if (start + capLen > file.length)
      throw new PcapError(`truncated record: ${capLen} bytes announced, ${file.length - start} present`, name, o);
    pushNormalisedRecord(
      records,
      drops,
      linkType,
      sec,
      ns ? frac : frac * 1e3,
      file.subarray(start, start + capLen),
      origLen,
    );
    o = start + capLen;
  }
  return {
    format: 'pcap',
    resolution: ns ? 'ns' : 'us',
    byteOrder: le ? 'le' : 'be',
    linkType,
    snaplen,
    records,
    drops,
  };
}

/** Nanoseconds from record `a` to record `b` (exact for captures shorter than 104 days). */
export function recordGapNs(a: PcapRecord, b: PcapRecord): number {
  return (b.sec - a.sec) * 1e9 + (b.nsec - a.nsec);
}

/** Captures are replayed from memory: larger ones are refused (split them with editcap -c). */
export const MAX_CAPTURE_BYTES = 512 * 2 ** 20;

/** The whole file (a regular file within MAX_CAPTURE_BYTES), or a PcapError naming why not. */
export function readCaptureFile(path: string): Buffer {
  try {
    return readRegularFile(path, MAX_CAPTURE_BYTES);
  } catch (e) {
    if (e instanceof FileReadError) throw new PcapError(e.notOpened ? `cannot read: ${e.message}` : e.message, path, 0);
    throw e;
  }
}

export function readPcap(path: string): PcapCapture {
  return parsePcap(readCaptureFile(path), path);
}
