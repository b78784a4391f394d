// A descriptor-ring device's interrupt line: every descriptor it writes back (a frame received,
// or a transmit completed) is an event for its interrupt moderation; when the moderator fires,
// the device latches its cause in ICR, and the interrupt reaches the guest only if the driver
// has the cause unmasked (IMS). Used by the physical NIC and QEMU's e1000 model, RX and TX.

import type { InterruptModerator } from './moderation';
import type { NicRegisters } from './registers';

export class ModeratedIrq {
  constructor(
    readonly moderator: InterruptModerator,
    readonly regs: NicRegisters,
    /** ICR_RXT0 or ICR_TXDW. */
    readonly cause: number,
  ) {}

  /**
   * One write-back of a frame generated at `genNs` (0: untimestamped or timed on another host's
   * clock, so `now`). Returns interrupts raised unmasked.
   */
  writeBack(genNs: number, now: number): number {
    const regs = this.regs;
    let n = 0;
    for (let k = this.moderator.onPacket(genNs > 0 ? genNs : now); k > 0; k--) if (regs.raise(this.cause)) n++;
    return n;
  }

  /** The burst is over and the wire goes idle: a pending moderated interrupt fires. Returns 1 if one was raised unmasked. */
  idle(): number {
    return this.moderator.flush() > 0 && this.regs.raise(this.cause) ? 1 : 0;
  }

  /** As describe() shows it. */
  describe(): { count: number; usecs: number } {
    return { count: this.moderator.count, usecs: this.moderator.usecs };
  }
}
