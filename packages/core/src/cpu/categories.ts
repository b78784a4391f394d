// CPU categories, grouped as mTCP's Figure 1 (docs/architecture.md, "CPU categories"). Two groups
// stand apart from the guest's figure: `bus`, the lab's own transport, and `host`, the work KVM
// does in host threads on the guest's behalf (vhost-net's copy, QEMU's device model, the host's
// handling of an exit beyond the exit itself), which a guest's CPU accounting never sees.

export const CATEGORIES = [
  'packet_io',
  'vm_exit',
  'irq',
  'alloc',
  'copy',
  'syscall',
  'protocol',
  'app',
  'bus',
  'host',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const Cat: { readonly [K in Category]: number } = Object.fromEntries(CATEGORIES.map((c, i) => [c, i])) as {
  [K in Category]: number;
};

export const GROUPS = {
  packet_io: ['packet_io', 'vm_exit'],
  kernel_without_tcpip: ['irq', 'alloc', 'copy', 'syscall'],
  tcpip: ['protocol'],
  application: ['app'],
  lab_transport: ['bus'],
  host: ['host'],
} as const satisfies Record<string, readonly Category[]>;
export type Group = keyof typeof GROUPS;
