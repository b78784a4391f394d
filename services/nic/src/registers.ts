// The NIC's register file (e1000 offsets), as the driver reaches it through its BAR. With a
// passed-through or bare-metal NIC an access is a plain MMIO; with an emulated NIC every access
// traps: a VM exit plus a round trip to the device model (QEMU), which then does what the
// hardware would. The file counts accesses and traps; the element spends what the traps cost.

import type { RxDescRing, TxDescRing } from '@vnflab/core';

export const REG_STATUS = 0x0008;
export const REG_ICR = 0x00c0;
export const REG_IMS = 0x00d0;
export const REG_IMC = 0x00d8;
export const REG_RDH = 0x2810;
export const REG_RDT = 0x2818;
export const REG_TDH = 0x3810;
export const REG_TDT = 0x3818;
/** ICR/IMS bit: transmit descriptor written back (a TX completion). */
export const ICR_TXDW = 0x01;
/** ICR/IMS bit: receiver timer interrupt (a packet was received). */
export const ICR_RXT0 = 0x80;
const STATUS_LU = 0x2; // link up, full duplex

export class NicRegisters {
  private icr = 0;
  private ims = 0;
  /** Register accesses by the driver. */
  accesses = 0;
  /** Accesses that trapped (emulated device): each one a VM exit and a device-model round trip. */
  traps = 0;
  /** Doorbell (RDT) writes. */
  doorbells = 0;
  /** Doorbell (TDT) writes. */
  txDoorbells = 0;

  /** `ring` is the RX ring; `tx` the TX ring when the driver transmits (direction tx). */
  constructor(
    readonly ring: RxDescRing | null,
    readonly trap: boolean,
    readonly tx: TxDescRing | null = null,
  ) {}

  // a register of a ring the device was not given is a driver bug, not a silent zero
  private rx(): RxDescRing {
    if (!this.ring) throw new RangeError('RX ring registers accessed on a TX-only device');
    return this.ring;
  }
  private txRing(): TxDescRing {
    if (!this.tx) throw new RangeError('TX ring registers accessed on a device without a TX ring');
    return this.tx;
  }

  read(reg: number): number {
    this.accesses++;
    if (this.trap) this.traps++;
    switch (reg) {
      case REG_ICR: {
        const v = this.icr; // read to clear
        this.icr = 0;
        return v;
      }
      case REG_IMS:
        return this.ims;
      case REG_STATUS:
        return STATUS_LU;
      case REG_RDH:
        return this.rx().head;
      case REG_RDT:
        return this.rx().tail;
      case REG_TDH:
        return this.txRing().head;
      case REG_TDT:
        return this.txRing().tail;
      default:
        throw new RangeError(`read of unmodelled register 0x${reg.toString(16)}`);
    }
  }

  write(reg: number, v: number): void {
    this.accesses++;
    if (this.trap) this.traps++;
    switch (reg) {
      case REG_IMS:
        this.ims |= v;
        return;
      case REG_IMC:
        this.ims &= ~v;
        return;
      case REG_ICR:
        this.icr &= ~v;
        return;
      case REG_RDT:
        this.doorbells++;
        this.rx().writeTail(v);
        return;
      case REG_TDT:
        this.txDoorbells++;
        this.txRing().writeTail(v);
        return;
      default:
        throw new RangeError(`write of unmodelled register 0x${reg.toString(16)}`);
    }
  }

  /** Device side (no access, no trap): latch an interrupt cause. True if it is unmasked. */
  raise(cause: number): boolean {
    this.icr |= cause;
    return (this.ims & cause) !== 0;
  }
}
