// The backend pool and VIP table: per-backend fields in typed arrays indexed by a backend id,
// so the data path reads an address and bumps a counter without touching an object. Ids of
// removed backends are reused; the load balancer first forgets every tracked flow of a removed
// backend, so a reused id never inherits flows.

import * as core from '@vnflab/core';
import type { Member, Selector } from './selector';
import type { Protocol, ResolvedBackend } from './settings';

const { PROTO_TCP, PROTO_UDP } = core; // bound once at load (docs/architecture.md, "Hot-path imports")

export const PROTO_BIT_UDP = 1;
export const PROTO_BIT_TCP = 2;

export function protoBit(proto: number): number {
  return proto === PROTO_UDP ? PROTO_BIT_UDP : proto === PROTO_TCP ? PROTO_BIT_TCP : 0;
}

export class Vip {
  /** Backend ids in configured order. */
  readonly members: number[] = [];
  /** Slots (or, without a table, ideal share) per backend id after the last rebuild. */
  shares = new Map<number, number>();

  constructor(
    readonly index: number,
    readonly name: string,
    readonly address: number,
    readonly port: number,
    readonly protocols: Protocol[],
    public selector: Selector,
  ) {}

  get protoMask(): number {
    return (this.protocols.includes('udp') ? PROTO_BIT_UDP : 0) | (this.protocols.includes('tcp') ? PROTO_BIT_TCP : 0);
  }
}

export class BackendPool {
  readonly vips: Vip[] = [];
  // VIP match table, scanned per packet (a handful of VIPs)
  vipAddr = new Uint32Array(0);
  vipPort = new Int32Array(0);
  vipProto = new Uint8Array(0);

  // per backend id
  names: string[] = [];
  vipOf = new Int32Array(16).fill(-1); // -1 = free id
  addr = new Uint32Array(16);
  port = new Int32Array(16);
  weight = new Int32Array(16);
  up = new Uint8Array(16);
  packets = new Float64Array(16);
  private readonly freeIds: number[] = [];
  private highWater = 0;

  addVip(name: string, address: number, port: number, protocols: Protocol[], selector: Selector): Vip {
    const v = new Vip(this.vips.length, name, address, port, protocols, selector);
    this.vips.push(v);
    this.vipAddr = Uint32Array.from(this.vips, (x) => x.address);
    this.vipPort = Int32Array.from(this.vips, (x) => x.port);
    this.vipProto = Uint8Array.from(this.vips, (x) => x.protoMask);
    return v;
  }

  /** Index of the VIP serving this destination, or -1. Per packet: no allocation. */
  matchVip(dstIp: number, dstPort: number, proto: number): number {
    const bit = protoBit(proto);
    const a = this.vipAddr;
    for (let v = 0; v < a.length; v++) {
      if (a[v] === dstIp && this.vipPort[v] === dstPort && (this.vipProto[v] & bit) !== 0) return v;
    }
    return -1;
  }

  vip(name: string): Vip | undefined {
    return this.vips.find((v) => v.name === name);
  }

  /** Id of the backend called `name` in `vip`, or -1. */
  find(vip: Vip, name: string): number {
    for (const id of vip.members) if (this.names[id] === name) return id;
    return -1;
  }

  add(vip: Vip, b: ResolvedBackend, packets = 0): number {
    const id = this.freeIds.pop() ?? this.highWater++;
    if (id >= this.vipOf.length) this.grow(this.vipOf.length * 2);
    this.names[id] = b.name;
    this.vipOf[id] = vip.index;
    this.addr[id] = b.address;
    this.port[id] = b.port;
    this.weight[id] = b.weight;
    this.up[id] = b.down ? 0 : 1;
    this.packets[id] = packets;
    vip.members.push(id);
    return id;
  }

  remove(vip: Vip, id: number): void {
    vip.members.splice(vip.members.indexOf(id), 1);
    this.vipOf[id] = -1;
    this.names[id] = '';
    this.packets[id] = 0;
    this.freeIds.push(id);
  }

  /** The backends that may take new flows: up and weight > 0, in configured order. */
  eligible(vip: Vip): Member[] {
    return vip.members
      .filter((id) => this.up[id] === 1 && this.weight[id] > 0)
      .map((id) => ({ id, name: this.names[id], weight: this.weight[id] }));
  }

  private grow(n: number): void {
    const g = <T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(
      a: T,
      make: (n: number) => T,
      fill?: number,
    ): T => {
      const b = make(n);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.vipOf = g(this.vipOf, (k) => new Int32Array(k), -1);
    this.addr = g(this.addr, (k) => new Uint32Array(k));
    this.port = g(this.port, (k) => new Int32Array(k));
    this.weight = g(this.weight, (k) => new Int32Array(k));
    this.up = g(this.up, (k) => new Uint8Array(k));
    this.packets = g(this.packets, (k) => new Float64Array(k));
  }
}
