// The in-memory document root and every response's prebuilt header block: what lighttpd keeps
// per file in its stat cache and per status, so a response is the block, the cached Date line,
// a Connection line and the body, with nothing formatted per request.

export const SERVER_NAME = 'vnflab-web';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

export const CONNECTION_KEEP_ALIVE = Buffer.from('Connection: keep-alive\r\n', 'latin1');
export const CONNECTION_CLOSE = Buffer.from('Connection: close\r\n', 'latin1');
export const CRLF = Buffer.from('\r\n', 'latin1');

/** One response without its Date and Connection lines: the header block per HTTP version and the body. */
export class Prebuilt {
  /** Indexed by the request's minor version: [HTTP/1.0 block, HTTP/1.1 block]. */
  readonly head: [Buffer, Buffer];
  constructor(
    readonly status: number,
    readonly body: Buffer,
    contentType: string,
    extra = '',
  ) {
    const block = (minor: number): Buffer =>
      Buffer.from(
        `HTTP/1.${minor} ${status} ${STATUS_TEXT[status]}\r\n` +
          `Content-Type: ${contentType}\r\n` +
          `Content-Length: ${body.length}\r\n` +
          extra +
          `Server: ${SERVER_NAME}\r\n`,
        'latin1',
      );
    this.head = [block(0), block(1)];
  }
}

/** A file's bytes: printable and checkable (a..z repeating, a newline last). */
export function fileContent(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 0x61 + (i % 26);
  if (size > 0) b[size - 1] = 0x0a;
  return b;
}

function contentType(path: string): string {
  if (path.endsWith('.html') || path.endsWith('.htm')) return 'text/html';
  if (path.endsWith('.txt')) return 'text/plain';
  return 'application/octet-stream';
}

function errorPage(status: number): Prebuilt {
  const extra = status === 405 ? 'Allow: GET, HEAD\r\n' : '';
  return new Prebuilt(status, Buffer.from(`<h1>${status} ${STATUS_TEXT[status]}</h1>\n`, 'latin1'), 'text/html', extra);
}

export class DocRoot {
  private readonly files = new Map<string, Prebuilt>();
  readonly notFound = errorPage(404);
  readonly badRequest = errorPage(400);
  readonly methodNotAllowed = errorPage(405);
  readonly uriTooLong = errorPage(414);
  readonly headerTooLarge = errorPage(431);

  constructor(files: readonly (readonly [string, number])[]) {
    for (const [path, size] of files) this.files.set(path, new Prebuilt(200, fileContent(size), contentType(path)));
  }

  /** The file at `path` (a directory's path serves its index.html), or undefined. */
  lookup(path: string): Prebuilt | undefined {
    return this.files.get(path.endsWith('/') ? `${path}index.html` : path);
  }

  get size(): number {
    return this.files.size;
  }
}
