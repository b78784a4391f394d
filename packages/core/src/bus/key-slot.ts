// The Redis Cluster hash slot of a key (CRC16/XMODEM of the key, or of its hash tag: the text
// between the first '{' and the next '}', when not empty, mod 16384). The bus names every key of a
// hop with the hop's tag (redis-bus.ts), so it knows without asking the cluster whether one script
// may touch two keys.

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

function crc16(b: Buffer): number {
  let crc = 0;
  for (const x of b) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ x) & 0xff];
  return crc;
}

/** The hash slot Redis Cluster places `key` in (what CLUSTER KEYSLOT answers). */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(key, 'utf8')) % 16384;
}
