// The request bytes, built once: what ApacheBench sends. HTTP/1.0 for short connections (the
// server closes after its response, as lighttpd does); HTTP/1.1 for keep-alive, every request
// but a connection's last saying keep-alive and the last saying close, so the server still
// closes first and the client's ports never wait in TIME_WAIT.

import { ipToString } from '@vnflab/core';

export interface Requests {
  /** HTTP/1.0, the server closes after the response. */
  short: Buffer;
  /** HTTP/1.1, Connection: keep-alive. */
  keepAlive: Buffer;
  /** HTTP/1.1, Connection: close: a keep-alive connection's last request. */
  last: Buffer;
}

export function buildRequests(path: string, dstIp: number, dstPort: number): Requests {
  const host = dstPort === 80 ? ipToString(dstIp) : `${ipToString(dstIp)}:${dstPort}`;
  const common = `Host: ${host}\r\nUser-Agent: vnflab-http-client\r\nAccept: */*\r\n`;
  return {
    short: Buffer.from(`GET ${path} HTTP/1.0\r\n${common}\r\n`, 'latin1'),
    keepAlive: Buffer.from(`GET ${path} HTTP/1.1\r\n${common}Connection: keep-alive\r\n\r\n`, 'latin1'),
    last: Buffer.from(`GET ${path} HTTP/1.1\r\n${common}Connection: close\r\n\r\n`, 'latin1'),
  };
}
