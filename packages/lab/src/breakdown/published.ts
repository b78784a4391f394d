// Published figures the breakdown prints beside ours (docs/published-figures.md). They are for comparison
// only: no cost profile or mechanism is tuned to reproduce them.

export const PUBLISHED = {
  mtcp: {
    source:
      'mTCP (Jeong et al., NSDI 2014), Figure 1: lighttpd serving a 64 B file on Linux 3.10 (group shares recalled, not checked against the paper)',
    // CPU share per mTCP group; kernel = everything but the application
    shares: { packet_io: 0.04, kernel_without_tcpip: 0.45, tcpip: 0.34, application: 0.17 },
    kernel: 0.83,
    application: 0.17,
  },
  netmap: {
    source:
      'netmap (Rizzo, USENIX ATC 2012): 10 GbE at 64 B is 14.88 Mpps, 67.2 ns per packet; an OS takes 10-20x that per packet',
    budgetNs: 67.2,
    osMultiple: [10, 20] as const,
  },
  xdp: {
    source: 'XDP (Hoiland-Jorgensen et al., CoNEXT 2018): drop rate on one core',
    dpdkMpps: 43.5,
    linuxMpps: 4.8,
    ratio: 43.5 / 4.8,
  },
} as const;

/** mTCP's groups in the order the paper's pie chart and our tables show them. */
export const MTCP_GROUPS = ['packet_io', 'kernel_without_tcpip', 'tcpip', 'application'] as const;
export type MtcpGroup = (typeof MTCP_GROUPS)[number];
