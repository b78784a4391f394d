// The last lines a container wrote, for an error that says why a new container never became
// ready. Docker multiplexes stdout and stderr of a non-TTY container in 8-byte-headed frames.

import type Docker from 'dockerode';

export function demuxLogs(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const kind = buf[i];
    const len = buf.readUInt32BE(i + 4);
    if (kind > 2 || buf[i + 1] !== 0 || i + 8 + len > buf.length) return buf.toString('utf8'); // a TTY container: plain text
    out.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(out).toString('utf8');
}

export async function tailLogs(container: Docker.Container, lines = 5): Promise<string> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)))
      .trim()
      .split('\n')
      .slice(-lines)
      .join(' | ')
      .slice(0, 800);
  } catch {
    return '';
  }
}
