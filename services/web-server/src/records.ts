// The records between kernel-path's socket layer and the web server, one per batch slot: what
// the application thread read, or what it writes, the socket layer having made the system calls
// on its side.
//
//   [op u8][flags u8][fd u16 BE][conn u32 BE][payload...]
//
// ops: 1 accept (a new connection's fd, no payload), 2 data (bytes read), 3 eof (read returned
// 0), 4 write (payload for writev), 5 close, 6 write_close (writev then close, one record).
// kernel-path originates accept/data/eof and terminates write/close/write_close. `flags` has no
// bits defined yet: writers set 0.

export const RECORD_HEADER_LEN = 8;

export const RecordOp = {
  accept: 1,
  data: 2,
  eof: 3,
  write: 4,
  close: 5,
  write_close: 6,
} as const;
export type RecordOp = (typeof RecordOp)[keyof typeof RecordOp];

/** A batch slot's length is 16 bits. */
export const MAX_RECORD_LEN = 0xffff;

/** A record read in place: the payload stays in the buffer it came in. */
export class RecordView {
  op = 0;
  flags = 0;
  fd = 0;
  conn = 0;
  payloadOff = 0;
  payloadLen = 0;
}

/**
 * Reads the record of `len` bytes at `off` into `out`. Returns null, or why the record is
 * refused: `record_truncated` (shorter than its header), `record_bad_op` (an op not listed
 * above), `record_bad_length` (accept, eof or close carrying a payload).
 */
export function readRecord(buf: Buffer, off: number, len: number, out: RecordView): string | null {
  if (len < RECORD_HEADER_LEN) return 'record_truncated';
  const op = buf[off];
  if (op < RecordOp.accept || op > RecordOp.write_close) return 'record_bad_op';
  if (len > RECORD_HEADER_LEN && (op === RecordOp.accept || op === RecordOp.eof || op === RecordOp.close))
    return 'record_bad_length';
  out.op = op;
  out.flags = buf[off + 1];
  out.fd = buf.readUInt16BE(off + 2);
  out.conn = buf.readUInt32BE(off + 4);
  out.payloadOff = off + RECORD_HEADER_LEN;
  out.payloadLen = len - RECORD_HEADER_LEN;
  return null;
}

/** Writes a record header at `off`; the payload, if any, follows it. */
export function writeRecordHeader(buf: Buffer, off: number, op: RecordOp, fd: number, conn: number, flags = 0): void {
  buf[off] = op;
  buf[off + 1] = flags;
  buf.writeUInt16BE(fd, off + 2);
  buf.writeUInt32BE(conn >>> 0, off + 4);
}

/** What a record can be appended to: a batch (core's Batch has this shape). */
export interface RecordSink {
  readonly buf: Buffer;
  /** Reserves a slot of `len` bytes; its index, or -1 when full. */
  append(len: number): number;
  offset(i: number): number;
}

/**
 * Appends one record carrying `payload[pOff, pOff + pLen)` (nothing when absent); returns the
 * slot, or -1 when the batch has no room. Throws when the record is longer than a slot holds.
 */
export function appendRecord(
  batch: RecordSink,
  op: RecordOp,
  fd: number,
  conn: number,
  payload?: Buffer,
  pOff = 0,
  pLen = payload ? payload.length - pOff : 0,
): number {
  const len = RECORD_HEADER_LEN + pLen;
  if (len > MAX_RECORD_LEN) throw new RangeError(`record of ${len} bytes exceeds a slot (${MAX_RECORD_LEN})`);
  const i = batch.append(len);
  if (i < 0) return -1;
  const o = batch.offset(i);
  writeRecordHeader(batch.buf, o, op, fd, conn);
  if (payload && pLen > 0) payload.copy(batch.buf, o + RECORD_HEADER_LEN, pOff, pOff + pLen);
  return i;
}
