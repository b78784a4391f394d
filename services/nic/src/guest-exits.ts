// Guest driver work that exits to the hypervisor: a register access that traps on an emulated
// NIC (a VM exit plus a round trip to the device model) and a virtio kick (an I/O exit). Billed
// after the pass of driver work that made them, in either direction, split where KVM runs it:
// the exit itself is what the guest loses (vm_exit); the trip to QEMU's device model runs in a
// host thread (host). A kick is handled in the kernel (ioeventfd), inside the exit's round trip;
// the vhost worker it wakes bills its own pass.

import * as core from '@vnflab/core';
import type { ElementContext } from '@vnflab/core';
import type { BurstCounts } from './burst';

// Bound once at load (docs/architecture.md, "Hot-path imports").
const CAT_VM_EXIT = core.Cat.vm_exit;
const CAT_HOST = core.Cat.host;

/** Spends `traps` trapped accesses and `kicks` kicks, adds their exits to `b`; returns the clock reading to go on from. */
export function billGuestExits(traps: number, kicks: number, ctx: ElementContext, t: number, b: BurstCounts): number {
  if (traps + kicks === 0) return t;
  b.exits += traps + kicks;
  const cpu = ctx.stats.cpu;
  ctx.costs.spend('vm_exit', traps + kicks);
  t = cpu.end(CAT_VM_EXIT, t);
  if (traps === 0) return t;
  ctx.costs.spend('device_model', traps);
  return cpu.end(CAT_HOST, t);
}
