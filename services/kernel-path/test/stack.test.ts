// The kernel stack drops and counts, with named reasons: a bad IP checksum, a bad UDP or TCP
// checksum, a port with no socket, a full socket queue. Bypass delivers what it gets. Every run
// closes its accounting: packets in = packets out + drops.

import { KernelPath } from '../src';
import { IP_CSUM_AT, UDP_CSUM_AT, batchOf, ctxFor, frame, frames, payloads, run } from './helpers';

function corrupt(f: Buffer, at: number): Buffer {
  f[at] ^= 0x5a;
  return f;
}

async function through(variant: string, settings: Record<string, unknown>, input: Buffer[]) {
  const el = new KernelPath(variant, settings);
  const ctx = ctxFor(variant);
  const b = batchOf(input);
  await run(el, b, ctx);
  expect(ctx.stats.packetsIn).toBe(ctx.stats.packetsOut + ctx.stats.totalDrops());
  return { el, ctx, b, drops: ctx.stats.dropsByReason(), out: payloads(b) };
}

const mixed = (): Buffer[] => [
  frame({ srcPort: 1 }),
  corrupt(frame({ srcPort: 2 }), IP_CSUM_AT),
  corrupt(frame({ srcPort: 3 }), UDP_CSUM_AT),
  corrupt(frame({ srcPort: 4, proto: 'tcp', len: 80 }), 14 + 20 + 16),
  frame({ srcPort: 5, dstPort: 9999 }),
  frame({ srcPort: 6, proto: 'tcp', len: 80 }),
];

describe('full stack', () => {
  it('drops a bad IP checksum, bad UDP and TCP checksums and a port with no socket, by name', async () => {
    const input = mixed();
    const { drops, out } = await through('kernel', {}, input);
    expect(drops).toEqual({ bad_ip_checksum: 1, bad_l4_checksum: 2, no_socket: 1 });
    expect(out).toEqual([input[0], input[5]]);
  });

  it('drops what does not fit a socket queue, per socket', async () => {
    const input = [...frames(10, { dstPort: 80 }), ...frames(3, { dstPort: 81 })];
    const { drops, b, el } = await through('kernel', { sockets: [80, 81], socket_queue: 4 }, input);
    expect(drops).toEqual({ socket_queue_full: 6 });
    expect(b.count).toBe(7);
    const socks = (el.describe() as { sockets: { port: number; drops: number; enqueued: number; queued: number }[] })
      .sockets;
    expect(socks).toEqual([
      { port: 80, bound: 4, drops: 6, enqueued: 4, queued: 0 },
      { port: 81, bound: 4, drops: 0, enqueued: 3, queued: 0 },
    ]);
  });

  it('queues drain every round: the bound applies to what one round holds', async () => {
    const el = new KernelPath('kernel', { socket_queue: 8 });
    const ctx = ctxFor();
    for (let r = 0; r < 4; r++) await run(el, batchOf(frames(8)), ctx);
    expect(ctx.stats.totalDrops()).toBe(0);
    expect(ctx.stats.packetsOut).toBe(32);
  });

  it('a non-IPv4 frame is dropped as not_ipv4', async () => {
    const f = frame();
    f.writeUInt16BE(0x86dd, 12);
    expect((await through('kernel', {}, [f])).drops).toEqual({ not_ipv4: 1 });
  });
});

describe('l3 stack', () => {
  it('checks IPv4 but not UDP/TCP checksums or ports', async () => {
    const input = mixed();
    const { drops, b } = await through('kernel', { stack: 'l3' }, input);
    expect(drops).toEqual({ bad_ip_checksum: 1 });
    expect(b.count).toBe(5);
  });
});

describe('bypass', () => {
  it('delivers what it gets, bad checksums and closed ports included, byte for byte', async () => {
    const input = mixed();
    const { drops, out } = await through('bypass', {}, input);
    expect(drops).toEqual({});
    expect(out).toEqual(input);
  });
});
