// Interrupt moderation (coalescing), as ethtool -C rx-frames / rx-usecs set it on a NIC: the
// device holds the interrupt for received packets until `count` are pending, or until the first
// pending one is `usecs` old. Time is wire time (each packet's arrival timestamp), so a burst
// that arrives back to back coalesces and a slow trickle does not, as on real hardware. With
// both at 0 every packet raises its own interrupt. When the wire goes idle at the end of a burst
// the pending interrupt fires (the timer would expire before anything else arrives).

export class InterruptModerator {
  private pending = 0;
  private firstNs = 0;
  private readonly usecsNs: number;

  constructor(
    readonly count: number,
    readonly usecs: number,
  ) {
    this.usecsNs = usecs * 1000;
  }

  /**
   * One packet completed at wire time `nowNs`. Returns how many interrupts fire now: the timer of
   * packets already pending may have expired before this one arrived, and this one may reach the
   * count.
   */
  onPacket(nowNs: number): number {
    let fired = 0;
    if (this.pending > 0 && this.usecsNs > 0 && nowNs - this.firstNs >= this.usecsNs) {
      fired++;
      this.pending = 0;
    }
    if (this.pending++ === 0) this.firstNs = nowNs;
    if ((this.count === 0 && this.usecsNs === 0) || (this.count > 0 && this.pending >= this.count)) {
      fired++;
      this.pending = 0;
    }
    return fired;
  }

  /** The wire went idle: a pending interrupt fires. Returns 1 if one did. */
  flush(): number {
    if (this.pending === 0) return 0;
    this.pending = 0;
    return 1;
  }

  /** Packets waiting for an interrupt. */
  get waiting(): number {
    return this.pending;
  }
}
