// The error numbers the socket calls return, negated as the kernel returns them to libc
// (asm-generic/errno-base.h, errno.h). A call that fails returns one of these, never throws.

export const EBADF = -9;
export const EAGAIN = -11;
export const EINVAL = -22;
export const ENFILE = -23;
export const EMFILE = -24;
export const EEXIST = -17;
export const ENOENT = -2;
export const ENOTSOCK = -88;
export const ECONNRESET = -104;
export const EPIPE = -32;

const NAMES: Record<number, string> = {
  [EBADF]: 'EBADF',
  [EAGAIN]: 'EAGAIN',
  [EINVAL]: 'EINVAL',
  [ENFILE]: 'ENFILE',
  [EMFILE]: 'EMFILE',
  [EEXIST]: 'EEXIST',
  [ENOENT]: 'ENOENT',
  [ENOTSOCK]: 'ENOTSOCK',
  [ECONNRESET]: 'ECONNRESET',
  [EPIPE]: 'EPIPE',
};

/** `EBADF` for -9, for messages and tests. */
export function errnoName(rc: number): string {
  return NAMES[rc] ?? `errno ${-rc}`;
}
