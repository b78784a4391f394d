// Batches of UDP frames with a probe at the start of each payload, as the generator sends them.

import { Batch, buildFrame, writeProbe } from '@vnflab/core';

/** `n` 60-byte frames to 10.0.1.1:8080; packet i's probe carries flow(i), seq 0 and sendNs. */
export function probedBatch(n: number, flow: (i: number) => number, sendNs: number): Batch {
  const b = Batch.allocate(n);
  for (let i = 0; i < n; i++) {
    const f = buildFrame({
      srcIp: 0x0a010001 + i,
      dstIp: 0x0a000101,
      proto: 'udp',
      srcPort: 40000 + i,
      dstPort: 8080,
      frameLen: 60,
    });
    const at = b.append(f.length);
    f.copy(b.buf, b.offset(at));
    // the probe sits at the start of the UDP payload (14 + 20 + 8 bytes in)
    writeProbe(b.buf, b.offset(at) + 42, flow(i), 0, sendNs);
  }
  return b;
}
