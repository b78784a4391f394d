// The raw floor: the least work any stage does per packet (parse with checksum verification,
// 5-tuple hash, destination rewrite with incremental checksums) in a plain loop over a
// pre-built batch of 64-byte frames. No bus, no batching runtime, no metrics.

const { Batch, ParsedFrame, buildFrame, parseFrame, flowHash, rewriteDestination } = require('@vnflab/core');

function floorPps(seconds) {
  const b = Batch.allocate(256);
  for (let i = 0; i < 256; i++) {
    const f = buildFrame({
      srcIp: 0x0a010000 + i,
      dstIp: 0x0a000064,
      proto: 'udp',
      srcPort: 49152 + i,
      dstPort: 80,
      frameLen: 60,
    });
    const k = b.append(f.length);
    f.copy(b.buf, b.offset(k));
  }
  const p = new ParsedFrame();
  const buf = b.buf;
  const offs = Int32Array.from({ length: 256 }, (_, i) => b.offset(i));
  let n = 0;
  let sink = 0;
  const end = performance.now() + seconds * 1e3;
  const t0 = performance.now();
  const dst = [0x0a000101, 0x0a000064]; // a backend and the VIP, alternately
  const port = [8080, 80];
  let round = 0;
  while (performance.now() < end) {
    for (let r = 0; r < 64; r++, round++) {
      const d = dst[round & 1];
      const dp = port[round & 1];
      for (let i = 0; i < 256; i++) {
        const o = offs[i];
        if (parseFrame(buf, o, 60, p) !== 0) throw new Error('floor frame did not parse');
        const h = flowHash(p.srcIp, p.dstIp, p.proto, p.srcPort, p.dstPort);
        sink ^= h;
        // one rewrite per packet; rounds alternate between two destinations
        rewriteDestination(buf, p.l3Off, p.l4Off, d, dp);
      }
      n += 256;
    }
  }
  const s = (performance.now() - t0) / 1e3;
  if (sink === 0.5) console.log(sink);
  return n / s;
}

module.exports = { floorPps };
