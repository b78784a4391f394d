// The process's file descriptor table with POSIX's lowest-free allocation (mTCP §2.1: every new
// connection's fd must be the lowest one free, which costs a search shared by all cores).
//
// As Linux 3.10's __alloc_fd (fs/file.c): an open-fds bitmap, a `next_fd` hint below which every
// fd is taken, and find_next_zero_bit from the hint, a word at a time. Closing an fd below the
// hint moves the hint back (__put_unused_fd), so the next allocation finds it first. The words
// scanned are counted: that search is the real work the allocation costs.

const WORD = 32;

export class FdTable<T> {
  /** Open fds, one bit each (Linux `open_fds`). */
  private readonly bits: Uint32Array;
  private readonly files: (T | null)[];
  /** Every fd below this is open (Linux `files->next_fd`). */
  private nextFd: number;
  open = 0;
  /** Bitmap words read by allocations so far. */
  wordsScanned = 0;

  /**
   * `maxFds` is RLIMIT_NOFILE; `reserved` fds from 0 are taken at start (stdin, stdout, stderr of
   * the server process), so the first socket gets fd `reserved`.
   */
  constructor(
    readonly maxFds: number,
    reserved = 3,
  ) {
    if (!Number.isInteger(maxFds) || maxFds < 1)
      throw new RangeError(`fd table: maxFds ${maxFds} must be a positive integer`);
    if (!Number.isInteger(reserved) || reserved < 0 || reserved >= maxFds)
      throw new RangeError(`fd table: reserved ${reserved} must be in 0..${maxFds - 1}`);
    this.bits = new Uint32Array(Math.ceil(maxFds / WORD));
    this.files = new Array<T | null>(maxFds).fill(null);
    for (let fd = 0; fd < reserved; fd++) this.bits[fd >>> 5] |= 1 << (fd & 31);
    this.open = reserved;
    this.nextFd = reserved;
  }

  /** The lowest free fd, installed with `file`; -1 when every fd is open (EMFILE). */
  alloc(file: T): number {
    const fd = this.reserve();
    if (fd >= 0) this.files[fd] = file;
    return fd;
  }

  /**
   * get_unused_fd: takes the lowest free fd with no file yet (-1: EMFILE); `install` gives it its
   * file (fd_install), `unreserve` hands it back (put_unused_fd).
   */
  reserve(): number {
    const fd = this.findNextZeroBit(this.nextFd);
    if (fd < 0) return -1;
    this.bits[fd >>> 5] |= 1 << (fd & 31);
    this.nextFd = fd + 1;
    this.open++;
    return fd;
  }

  install(fd: number, file: T): void {
    this.files[fd] = file;
  }

  unreserve(fd: number): void {
    this.bits[fd >>> 5] &= ~(1 << (fd & 31));
    if (fd < this.nextFd) this.nextFd = fd;
    this.open--;
  }

  get(fd: number): T | null {
    return fd >= 0 && fd < this.maxFds ? this.files[fd] : null;
  }

  /** Frees `fd`; returns its file, or null when it was not open. */
  free(fd: number): T | null {
    const file = this.get(fd);
    if (file === null) return null;
    this.bits[fd >>> 5] &= ~(1 << (fd & 31));
    this.files[fd] = null;
    if (fd < this.nextFd) this.nextFd = fd;
    this.open--;
    return file;
  }

  /** find_next_zero_bit over the open-fds bitmap from `from`; -1 when none below maxFds. */
  private findNextZeroBit(from: number): number {
    const bits = this.bits;
    let w = from >>> 5;
    // bits below `from` in its word count as taken
    let word = bits[w] | ((1 << (from & 31)) - 1);
    for (;;) {
      this.wordsScanned++;
      if (word !== -1 && word !== 0xffffffff) {
        const fd = w * WORD + ctz(~word);
        return fd < this.maxFds ? fd : -1;
      }
      if (++w >= bits.length) return -1;
      word = bits[w];
    }
  }
}

/** Count of trailing zero bits of a non-zero 32-bit value. */
function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}
