// Reading a file the user names (a chain file, a capture) without trusting what it is: a FIFO
// would block forever and /dev/zero never ends, so only regular files are read, and only up to a
// stated size. The error is one line naming the file and why.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

export class FileReadError extends Error {
  /** True when the file could not even be opened (the message is then the error code, e.g. ENOENT). */
  constructor(
    message: string,
    readonly notOpened = false,
  ) {
    super(message);
  }
}

/** The kind of a non-regular file, for the message. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The whole of a regular file of at most `maxBytes`; a FileReadError otherwise. */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer before we can refuse it
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new FileReadError((e as NodeJS.ErrnoException).code ?? String(e), true);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileReadError(`${kindOf(st)}, not a regular file`);
    if (st.size > maxBytes) throw new FileReadError(`${st.size} bytes, more than the ${maxBytes}-byte limit`);
    const buf = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return got === st.size ? buf : buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
