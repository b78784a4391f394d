// Published figures the breakdown prints beside ours (docs/published-figures.md). They are for comparison
// only: no cost profile or mechanism is tuned to reproduce them.

export const PUBLISHED = {
  mtcp: {
    source:
      'mTCP (Jeong et al., NSDI 2014), Figure 1: lighttpd 1.4.32 serving a 64 B file over short connections on Linux 3.10, 8 cores of a Xeon E5-2690 at 2.9 GHz: kernel 45.3 %, packet I/O 4.5 %, TCP/IP 33.6 %, application 16.7 %; about 0.3 M transactions/s on the 8 cores (section 1)',
    // CPU share per mTCP group (the figure's stacked bar for Linux); kernel = all but the application
    shares: { packet_io: 0.045, kernel_without_tcpip: 0.453, tcpip: 0.336, application: 0.167 },
    kernel: 0.833,
    application: 0.167,
    // 8 cores / 0.3 M transactions/s = 26.7 µs of CPU per transaction
    usPerTransaction: (8 / 0.3e6) * 1e6,
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
