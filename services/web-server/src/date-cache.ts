// The `Date:` header line, rebuilt at most once a second, as lighttpd caches its formatted date
// (formatting a date per response is a cost a server avoids). IMF-fixdate (RFC 9110 §5.6.7).

/** `Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n` */
export const DATE_LINE_LEN = 37;

export class DateCache {
  readonly line = Buffer.alloc(DATE_LINE_LEN);
  private second = -1;
  /** Times the line was rebuilt. */
  refreshes = 0;

  /** The line for wall-clock time `nowMs` (milliseconds since the epoch). */
  at(nowMs: number): Buffer {
    const s = Math.floor(nowMs / 1000);
    if (s !== this.second) {
      this.second = s;
      this.line.write(`Date: ${new Date(s * 1000).toUTCString()}\r\n`, 0, 'latin1');
      this.refreshes++;
    }
    return this.line;
  }
}
