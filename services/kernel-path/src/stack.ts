// Protocol processing. `full` is the Linux receive path for UDP/TCP: Ethernet demux, IPv4 header
// validation and checksum, UDP/TCP checksum over the pseudo-header, then socket demux by
// destination port into the per-socket queues. `l3` stops after IPv4 (a raw or packet socket
// sees it). `none` hands every packet on untouched, as a bypass application parses for itself.
// Not modelled: TCP connection state, reassembly and ACKs (so our TCP/IP share is a floor).

import * as core from '@vnflab/core';
import type { SkBuff } from './alloc';
import type { StackMode } from './settings';
import type { SocketTable } from './socket-queues';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { ParsedFrame, parseEthernet, parseFrame, parseIpv4 } = core;

export class Stack {
  private readonly p = new ParsedFrame();

  constructor(
    readonly mode: StackMode,
    private readonly sockets: SocketTable,
  ) {}

  /**
   * Processes one packet. Returns 0 when it was accepted (queued on a socket for `full`, ready
   * for the application otherwise) or the reason it was dropped.
   */
  receive(skb: SkBuff): number {
    if (this.mode === 'none') return 0;
    const buf = skb.buf;
    if (this.mode === 'l3') {
      const l3 = parseEthernet(buf, skb.off, skb.len);
      if (l3 < 0) return -l3;
      return parseIpv4(buf, l3, skb.off + skb.len, this.p, true);
    }
    const r = parseFrame(buf, skb.off, skb.len, this.p);
    if (r !== 0) return r;
    return this.sockets.deliver(skb, this.p.dstPort);
  }
}
