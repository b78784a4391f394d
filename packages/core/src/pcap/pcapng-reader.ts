// Reads pcapng captures, Wireshark's default format: sections of either byte order, interface
// description blocks (link type, `if_tsresol`, `if_tsoffset`), enhanced and simple packet blocks.
// Every other block type is skipped and counted by type. A block whose length does not fit the
// file, is not a multiple of 4, exceeds MAX_BLOCK_LEN or disagrees with its trailing copy is an
// error naming its offset; nothing is allocated from a length field (records are views into the
// file, or a copy behind a synthetic Ethernet header no longer than the file's bytes).

import {
  MAX_RECORD_LEN,
  PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_EPB,
  PCAPNG_IDB,
  PCAPNG_IF_TSOFFSET,
  PCAPNG_IF_TSRESOL,
  PCAPNG_OPT_END,
  PCAPNG_SHB,
  PCAPNG_SPB,
  PcapError,
} from './format';
import { pushNormalisedRecord, readCaptureFile, type CaptureDrops, type PcapRecord } from './reader';

/** Largest block we accept (a packet block holds at most MAX_RECORD_LEN bytes plus options). */
export const MAX_BLOCK_LEN = 16 << 20;
const BLOCK_HLEN = 12; // type, total length, trailing total length
const SHB_MIN = 28;

export interface PcapngInterface {
  /** Section index, from 0. */
  section: number;
  linkType: number;
  snaplen: number;
  /** Timestamp unit from `if_tsresol`: `us` (the default), `ns`, `1e-N` or `2^-N` seconds. */
  resolution: string;
}

export interface PcapngCapture {
  format: 'pcapng';
  sections: number;
  interfaces: PcapngInterface[];
  records: PcapRecord[];
  /** Records that could not be normalised to Ethernet/IPv4, by the reason they are dropped with. */
  drops: CaptureDrops;
  /** Blocks that carry no packet for us (statistics, name resolution, custom...), by type (`0x00000005`). */
  skippedBlocks: Record<string, number>;
}

interface Iface {
  linkType: number;
  snaplen: number;
  unitsPerSec: bigint;
  /** The common resolutions as a number, for a BigInt-free conversion when the timestamp fits 2^53. */
  unitsFast: number;
  offsetSec: number;
}

function resolutionName(v: number): string {
  if (v & 0x80) return `2^-${v & 0x7f}`;
  return v === 6 ? 'us' : v === 9 ? 'ns' : `1e-${v}`;
}

function unitsOf(v: number): bigint {
  return v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
}

export function parsePcapng(file: Buffer, name = '<buffer>'): PcapngCapture {
  const records: PcapRecord[] = [];
  const drops: CaptureDrops = {};
  const skippedBlocks: Record<string, number> = {};
  const interfaces: PcapngInterface[] = [];
  let ifaces: Iface[] = [];
  let sections = 0;
  let le = true;
  const u16 = (o: number): number => (le ? file.readUInt16LE(o) : file.readUInt16BE(o));
  const u32 = (o: number): number => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  let lastSec = 0;
  let lastNsec = 0;

  const toTime = (hi: number, lo: number, ifc: Iface): void => {
    if (ifc.unitsFast > 0 && hi < 0x200000) {
      const ts = hi * 4294967296 + lo; // < 2^53: exact
      const sec = Math.floor(ts / ifc.unitsFast);
      lastSec = sec + ifc.offsetSec;
      lastNsec = (ts - sec * ifc.unitsFast) * (1e9 / ifc.unitsFast);
      return;
    }
    const ts = (BigInt(hi) << 32n) | BigInt(lo);
    lastSec = Number(ts / ifc.unitsPerSec) + ifc.offsetSec;
    lastNsec = Number(((ts % ifc.unitsPerSec) * 1_000_000_000n) / ifc.unitsPerSec);
  };

  let o = 0;
  while (o < file.length) {
    const left = file.length - o;
    if (left < BLOCK_HLEN) throw new PcapError(`truncated block header (${left} of ${BLOCK_HLEN} bytes)`, name, o);
    if (file.readUInt32LE(o) === PCAPNG_SHB) {
      if (left < SHB_MIN) throw new PcapError(`truncated section header block (${left} of ${SHB_MIN} bytes)`, name, o);
      const bom = file.readUInt32LE(o + 8);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
      else if (file.readUInt32BE(o + 8) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
      else throw new PcapError(`corrupt byte-order magic 0x${bom.toString(16)}`, name, o + 8);
      const major = u16(o + 12);
      if (major !== 1) throw new PcapError(`unsupported pcapng version ${major}`, name, o + 12);
      sections++;
      ifaces = []; // interface ids restart in every section
    } else if (sections === 0) {
      throw new PcapError(
        `not a pcapng file (first block type 0x${file.readUInt32LE(o).toString(16)}, not a section header)`,
        name,
        o,
      );
    }
    const type = u32(o);
    const len = u32(o + 4);
    if (len < BLOCK_HLEN || len % 4 !== 0 || len > MAX_BLOCK_LEN)
      throw new PcapError(`corrupt block length ${len}`, name, o + 4);
    if (type === PCAPNG_SHB && len < SHB_MIN)
      throw new PcapError(`corrupt section header block length ${len}`, name, o + 4);
    if (len > left) throw new PcapError(`truncated block: ${len} bytes announced, ${left} present`, name, o);
    const trailer = u32(o + len - 4);
    if (trailer !== len)
      throw new PcapError(`corrupt block: trailing length ${trailer} differs from ${len}`, name, o + len - 4);
    const body = o + 8;
    const end = o + len - 4;
    switch (type) {
      case PCAPNG_SHB:
        break;
      case PCAPNG_IDB: {
        if (end - body < 8)
          throw new PcapError(`truncated interface description block (${end - body} of 8 body bytes)`, name, o);
        const ifc: Iface = {
          linkType: u16(body),
          snaplen: u32(body + 4),
          unitsPerSec: 1_000_000n,
          unitsFast: 1e6,
          offsetSec: 0,
        };
        let res = 6;
        let p = body + 8;
        while (p + 4 <= end) {
          const code = u16(p);
          const olen = u16(p + 2);
          if (code === PCAPNG_OPT_END) break;
          if (p + 4 + olen > end)
            throw new PcapError(`corrupt option ${code}: ${olen} bytes overrun the block`, name, p + 2);
          if (code === PCAPNG_IF_TSRESOL && olen >= 1) res = file[p + 4];
          if (code === PCAPNG_IF_TSOFFSET && olen >= 8)
            ifc.offsetSec = Number(le ? file.readBigInt64LE(p + 4) : file.readBigInt64BE(p + 4));
          p += 4 + ((olen + 3) & ~3);
        }
        ifc.unitsPerSec = unitsOf(res);
        ifc.unitsFast = res & 0x80 || res > 9 ? 0 : 10 ** res;
        ifaces.push(ifc);
        interfaces.push({
          section: sections - 1,
          linkType: ifc.linkType,
          snaplen: ifc.snaplen,
          resolution: resolutionName(res),
        });
        break;
      }
      case PCAPNG_EPB: {
        if (end - body < 20)
          throw new PcapError(`truncated enhanced packet block (${end - body} of 20 body bytes)`, name, o);
        const id = u32(body);
        const ifc = ifaces[id];
        if (!ifc)
          throw new PcapError(`packet of interface ${id}, but this section describes ${ifaces.length}`, name, body);
        const capLen = u32(body + 12);
        const origLen = u32(body + 16);
        const data = body + 20;
        if (capLen > MAX_RECORD_LEN || capLen > end - data)
          throw new PcapError(`corrupt captured length ${capLen} (${end - data} bytes in the block)`, name, body + 12);
        toTime(u32(body + 4), u32(body + 8), ifc);
        pushNormalisedRecord(
          records,
          drops,
          ifc.linkType,
          lastSec,
          lastNsec,
          file.subarray(data, data + capLen),
          origLen,
        );
        break;
      }
      case PCAPNG_SPB: {
        // no timestamp: the packet keeps the previous one's time (no gap when replayed with timing)
        if (end - body < 4)
          throw new PcapError(`truncated simple packet block (${end - body} of 4 body bytes)`, name, o);
        const ifc = ifaces[0];
        if (!ifc) throw new PcapError('simple packet block before any interface description', name, o);
        const origLen = u32(body);
        const capLen = ifc.snaplen > 0 ? Math.min(origLen, ifc.snaplen) : origLen;
        const data = body + 4;
        if (capLen > MAX_RECORD_LEN || capLen > end - data)
          throw new PcapError(`corrupt original length ${origLen} (${end - data} bytes in the block)`, name, body);
        pushNormalisedRecord(
          records,
          drops,
          ifc.linkType,
          lastSec,
          lastNsec,
          file.subarray(data, data + capLen),
          origLen,
        );
        break;
      }
      default: {
        const key = `0x${type.toString(16).padStart(8, '0')}`;
        skippedBlocks[key] = (skippedBlocks[key] ?? 0) + 1;
      }
    }
    o += len;
  }
  if (sections === 0) throw new PcapError('truncated: no section header block', name, 0);
  return { format: 'pcapng', sections, interfaces, records, drops, skippedBlocks };
}

export function readPcapng(path: string): PcapngCapture {
  return parsePcapng(readCaptureFile(path), path);
}
