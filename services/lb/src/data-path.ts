// The lb data path: the element's per-batch loop. Per packet: parse, match a VIP, look the flow
// up in connection tracking, otherwise ask the VIP's selection algorithm and track the answer,
// then forward by NAT (rewrite destination, RFC 1624 checksum updates) or IP-in-IP (Katran
// style), or drop with a named reason. Nothing here allocates per packet.

import * as core from '@vnflab/core';
import type { Batch, ElementContext, ParseOptions } from '@vnflab/core';
import type { ConnTrack } from './conntrack';
import { IPIP_HLEN, encapIpip, ipipSource } from './encap';
import type { BackendPool } from './pool';
import type { ForwardingMode } from './settings';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { Cat, ParsedFrame, flowHash, parseFrame, reasonCode, rewriteDestination } = core;
const CAT_APP = Cat.app;

export const NOT_FOR_VIP = reasonCode('not_for_vip');
export const NO_BACKEND = reasonCode('no_backend');
export const NO_HEADROOM = reasonCode('no_headroom');

// The LB forwards what it gets; checksums are the endpoints' business (as in Katran), and NAT's
// incremental update keeps a bad checksum bad for the backend to catch.
const NO_VERIFY: ParseOptions = { ipChecksum: false, l4Checksum: false };

export class LbDataPath {
  /** Read once per batch, so a run-time change applies from the next batch on. */
  mode: ForwardingMode;
  private readonly p: core.ParsedFrame = new ParsedFrame();

  constructor(
    private readonly pool: BackendPool,
    private readonly conntrack: ConnTrack | null,
    private readonly clock: () => number,
    mode: ForwardingMode,
  ) {
    this.mode = mode;
  }

  process(batch: Batch, ctx: ElementContext): void {
    const t0 = ctx.stats.cpu.begin();
    const now = this.clock();
    const ct = this.conntrack;
    if (ct !== null) ct.expire(now); // idle flows leave from the LRU tail
    const buf = batch.buf;
    const p = this.p;
    const pool = this.pool;
    const vips = pool.vips;
    const nat = this.mode === 'nat';
    for (let i = 0, n = batch.count; i < n; i++) {
      if (!batch.alive(i)) continue;
      const off = batch.offset(i);
      const len = batch.length(i);
      const r = parseFrame(buf, off, len, p, NO_VERIFY);
      if (r !== 0) {
        batch.drop(i, r);
        continue;
      }
      const v = pool.matchVip(p.dstIp, p.dstPort, p.proto);
      if (v < 0) {
        batch.drop(i, NOT_FOR_VIP);
        continue;
      }
      const h = flowHash(p.srcIp, p.dstIp, p.proto, p.srcPort, p.dstPort);
      const ports = ((p.srcPort << 16) | p.dstPort) >>> 0;
      let b = ct !== null ? ct.lookup(h, p.srcIp, p.dstIp, ports, p.proto, now) : -1;
      if (b < 0) {
        b = vips[v].selector.pick(h);
        if (b < 0) {
          batch.drop(i, NO_BACKEND);
          continue;
        }
        if (ct !== null) ct.insert(h, p.srcIp, p.dstIp, ports, p.proto, b, now);
      }
      if (nat) {
        rewriteDestination(buf, p.l3Off, p.l4Off, pool.addr[b], pool.port[b]);
      } else {
        // the outer header goes into the headroom; never into the previous frame's bytes
        let low = batch.dataStart;
        if (i > 0) {
          const po = batch.offset(i - 1);
          if (po < off && po + batch.length(i - 1) > low) low = po + batch.length(i - 1);
        }
        if (off - IPIP_HLEN < low) {
          batch.drop(i, NO_HEADROOM);
          continue;
        }
        batch.setOffset(i, encapIpip(buf, off, p.l3Off, p.ipTotalLen, ipipSource(p.srcIp, p.srcPort), pool.addr[b]));
        batch.setLength(i, len + IPIP_HLEN);
      }
      batch.setFlowHash(i, h);
      pool.packets[b]++;
    }
    ctx.stats.cpu.end(CAT_APP, t0);
  }
}
