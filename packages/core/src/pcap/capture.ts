// One entry point per direction: a capture is read as libpcap or pcapng by its magic number,
// and written as pcapng when its name ends in .pcapng (libpcap otherwise).

import { PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAPNG_SHB, PcapError } from './format';
import { parsePcapng, type PcapngCapture } from './pcapng-reader';
import { parsePcap, readCaptureFile, type PcapCapture } from './reader';
import { PcapWriter, type CaptureFormat, type PcapWriterOptions } from './writer';

export type CaptureFile = PcapCapture | PcapngCapture;

/** The format a file's first four bytes announce, or undefined. */
export function sniffCaptureFormat(file: Buffer): CaptureFormat | undefined {
  if (file.length < 4) return undefined;
  const le = file.readUInt32LE(0);
  const be = file.readUInt32BE(0);
  if (le === PCAPNG_SHB) return 'pcapng';
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS || be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) return 'pcap';
  return undefined;
}

export function parseCapture(file: Buffer, name = '<buffer>'): CaptureFile {
  const format = sniffCaptureFormat(file);
  if (format === 'pcapng') return parsePcapng(file, name);
  if (format === 'pcap') return parsePcap(file, name);
  if (file.length < 4)
    throw new PcapError(`truncated: ${file.length} bytes, not a pcap or pcapng file`, name, file.length);
  throw new PcapError(
    `not a pcap or pcapng file (magic 0x${file.readUInt32BE(0).toString(16).padStart(8, '0')})`,
    name,
    0,
  );
}

/** Reads a libpcap or pcapng capture, its records normalised to Ethernet. */
export function readCapture(path: string): CaptureFile {
  return parseCapture(readCaptureFile(path), path);
}

/** The format a capture written to `path` gets: pcapng for a `.pcapng` name, libpcap otherwise. */
export function captureFormatFor(path: string): CaptureFormat {
  return /\.pcapng$/i.test(path) ? 'pcapng' : 'pcap';
}

/** A PcapWriter in the format `path`'s extension asks for. */
export function openCaptureWriter(path: string, opts: Omit<PcapWriterOptions, 'format'> = {}): PcapWriter {
  return new PcapWriter(path, { ...opts, format: captureFormatFor(path) });
}
