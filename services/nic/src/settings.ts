// nic settings: the schema chain files and the CLI are checked against, and the mode presets.
// A mode is a preset of the same toggles (where the device DMAs, whether an IOMMU translates,
// which queue the guest sees, whether register accesses trap, how interrupts are delivered);
// settings override a preset only where the toggle means something in that mode, and every
// error names its key.

import { Type, type Static } from '@sinclair/typebox';
import { schemaErrors } from '@vnflab/core';

export const NIC_MODES = ['passthrough', 'native', 'virtio', 'emulated'] as const;
export type NicMode = (typeof NIC_MODES)[number];

export const NicSettingsSchema = Type.Object(
  {
    ring_size: Type.Optional(
      Type.Integer({
        minimum: 8,
        maximum: 4096,
        description:
          'descriptors per ring (RX, or TX with direction tx; virtio: queue size), a power of two; default 512',
      }),
    ),
    irq_moderation_count: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 65535,
        description:
          'raise an interrupt every N received packets (ethtool rx-frames; direction tx: every N completed transmits); 0 with usecs 0 = one interrupt per packet; default 32 (not virtio)',
      }),
    ),
    irq_moderation_usecs: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1000000,
        description:
          'hold an interrupt until the first pending packet is this old, in wire time (ethtool rx-usecs); default 0 (not virtio)',
      }),
    ),
    interrupt_delivery: Type.Optional(
      Type.Union([Type.Literal('posted'), Type.Literal('exit')], {
        description: 'posted (no VM exit, VT-d posted interrupts) or exit (one VM exit per interrupt); not native',
      }),
    ),
    event_idx: Type.Optional(
      Type.Boolean({
        description: 'virtio: negotiate VIRTIO_RING_F_EVENT_IDX (notification suppression); default true',
      }),
    ),
    direction: Type.Optional(
      Type.Union([Type.Literal('rx'), Type.Literal('tx'), Type.Literal('both')], {
        description:
          'rx (default): the NIC receives into the guest (VNF ingress); tx: the guest driver transmits through a TX ring or transmit virtqueue (VNF egress); both: receive on the way in and transmit what comes back (a closed-loop chain, e.g. a server answering)',
      }),
    ),
    iommu: Type.Optional(
      Type.Boolean({
        description:
          'translate device DMA through an IOMMU domain (passthrough default true; virtio/emulated: a vIOMMU, default false)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type NicSettings = Static<typeof NicSettingsSchema>;

export type IrqDelivery = 'host' | 'posted' | 'exit';

/** The toggles every mode is a preset of. */
export type NicDirection = 'rx' | 'tx' | 'both';

export interface NicConfig {
  mode: NicMode;
  /** rx: wire -> guest (ingress); tx: guest -> wire (egress); both: rx forward, tx on the way back. */
  direction: NicDirection;
  ringSize: number;
  /** Device DMAs into host memory and a software backend copies into the guest (virtio, emulated). */
  hostBackend: boolean;
  /** The guest sees a split virtqueue (virtio) instead of an 82599/e1000 descriptor ring. */
  virtqueue: boolean;
  /** Every driver register access traps to the device model (emulated). */
  registerTraps: boolean;
  /** Device DMA into guest memory goes through the IOMMU domain. */
  iommu: boolean;
  /** host: a bare-metal interrupt (native); posted: no exit; exit: one VM exit each. */
  irqDelivery: IrqDelivery;
  moderationCount: number;
  moderationUsecs: number;
  eventIdx: boolean;
}

export const DEFAULT_RING_SIZE = 512;
export const DEFAULT_MODERATION_COUNT = 32;

export class NicSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NicSettingsError';
  }
}

function fail(key: string, msg: string): never {
  throw new NicSettingsError(`nic settings.${key}: ${msg}`);
}

/** Validates settings for a mode and returns the resolved toggles. */
export function resolveNicConfig(mode: string, settings: Record<string, unknown> = {}): NicConfig {
  if (!(NIC_MODES as readonly string[]).includes(mode))
    throw new NicSettingsError(`nic variant "${mode}" is unknown (known: ${NIC_MODES.join(', ')})`);
  const m = mode as NicMode;
  const errs = schemaErrors(NicSettingsSchema, settings, 'nic settings', 1);
  if (errs.length) throw new NicSettingsError(errs[0]);
  const s = settings as NicSettings;
  const ringSize = s.ring_size ?? DEFAULT_RING_SIZE;
  if ((ringSize & (ringSize - 1)) !== 0) fail('ring_size', `${ringSize} must be a power of two`);

  if (m === 'native' && s.interrupt_delivery !== undefined)
    fail('interrupt_delivery', 'native has no hypervisor: interrupts go straight to the host kernel');
  if (m !== 'virtio' && s.event_idx !== undefined)
    fail('event_idx', `only a virtio queue has EVENT_IDX (mode is ${m})`);
  if (m === 'virtio' && (s.irq_moderation_count !== undefined || s.irq_moderation_usecs !== undefined)) {
    fail(
      s.irq_moderation_count !== undefined ? 'irq_moderation_count' : 'irq_moderation_usecs',
      'virtio notifies per used buffer, suppressed by EVENT_IDX (see event_idx), not by NIC interrupt moderation',
    );
  }
  const virtio = m === 'virtio';
  return {
    mode: m,
    direction: s.direction ?? 'rx',
    ringSize,
    hostBackend: m === 'virtio' || m === 'emulated',
    virtqueue: virtio,
    registerTraps: m === 'emulated',
    iommu: s.iommu ?? m === 'passthrough',
    irqDelivery: m === 'native' ? 'host' : (s.interrupt_delivery ?? (m === 'passthrough' ? 'posted' : 'exit')),
    moderationCount: virtio ? 0 : (s.irq_moderation_count ?? DEFAULT_MODERATION_COUNT),
    moderationUsecs: virtio ? 0 : (s.irq_moderation_usecs ?? 0),
    eventIdx: virtio ? (s.event_idx ?? true) : false,
  };
}
