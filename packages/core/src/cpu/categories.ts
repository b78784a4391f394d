// CPU categories (DESIGN.md §3.1), grouped as mTCP's Figure 1.

export const CATEGORIES = ['packet_io', 'vm_exit', 'irq', 'alloc', 'copy', 'syscall', 'protocol', 'app', 'bus'] as const;
export type Category = (typeof CATEGORIES)[number];

export const Cat: { readonly [K in Category]: number } = Object.fromEntries(CATEGORIES.map((c, i) => [c, i])) as { [K in Category]: number };

export const GROUPS = {
  packet_io: ['packet_io', 'vm_exit'],
  kernel_without_tcpip: ['irq', 'alloc', 'copy', 'syscall'],
  tcpip: ['protocol'],
  application: ['app'],
  lab_transport: ['bus'],
} as const satisfies Record<string, readonly Category[]>;
export type Group = keyof typeof GROUPS;
