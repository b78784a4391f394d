// GET with no kept-alive connection: the containers probed come and go, and a pooled socket to
// a removed container would linger until its keep-alive timeout.

import { get } from 'node:http';

export interface ProbeResponse {
  status: number;
  body: string;
}

export function probe(url: string, timeoutMs = 1000): Promise<ProbeResponse> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
