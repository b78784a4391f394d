// Interrupt delivery into the guest: how an interrupt the device raised (RX, or a TX completion)
// reaches the guest's handler and what it costs. host (native): a bare-metal interrupt, nothing
// for a hypervisor to do; posted (VT-d posted interrupts, with the EOI virtualized): no VM exit,
// the posted-interrupt cost; exit: the hypervisor injects it and emulates its completion, two VM
// exits each. Chosen once per element, from the settings.

import * as core from '@vnflab/core';
import type { ElementContext } from '@vnflab/core';
import type { BurstCounts } from './burst';
import type { IrqDelivery } from './settings';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const { Cat } = core;
const CAT_VM_EXIT = Cat.vm_exit;
const CAT_IRQ = Cat.irq;

export interface InterruptDelivery {
  readonly kind: IrqDelivery;
  /**
   * Delivers `n` (> 0) interrupts: spends what they cost, adds their VM exits to `b` and bills
   * the pass since `t`. Returns the clock reading the next pass starts from.
   */
  deliver(n: number, ctx: ElementContext, t: number, b: BurstCounts): number;
}

export class HostInterrupt implements InterruptDelivery {
  readonly kind = 'host';
  deliver(_n: number, _ctx: ElementContext, t: number): number {
    return t;
  }
}

export class PostedInterrupt implements InterruptDelivery {
  readonly kind = 'posted';
  deliver(n: number, ctx: ElementContext, t: number): number {
    ctx.costs.spend('posted_interrupt', n);
    return ctx.stats.cpu.end(CAT_IRQ, t);
  }
}

/**
 * Without exitless delivery an interrupt exits twice (ELI, Gordon et al., ASPLOS 2012, sections
 * 2-3): on delivery - the host takes it, or kicks the running vCPU out, and injects it on the next
 * entry - and on completion, when the guest's handler writes EOI to the local APIC the host
 * emulates. Each is an exit the guest loses (vm_exit); KVM handles both in the kernel, inside the
 * round trip the profile's vm_exit measures, so nothing more is billed to the host for them.
 */
export const EXITS_PER_INTERRUPT = 2;

export class ExitInterrupt implements InterruptDelivery {
  readonly kind = 'exit';
  deliver(n: number, ctx: ElementContext, t: number, b: BurstCounts): number {
    const exits = EXITS_PER_INTERRUPT * n;
    b.exits += exits;
    ctx.costs.spend('vm_exit', exits);
    return ctx.stats.cpu.end(CAT_VM_EXIT, t);
  }
}

export function createInterruptDelivery(kind: IrqDelivery): InterruptDelivery {
  switch (kind) {
    case 'host':
      return new HostInterrupt();
    case 'posted':
      return new PostedInterrupt();
    case 'exit':
      return new ExitInterrupt();
  }
}
