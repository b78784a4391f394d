// mTCP's Figure 1 against the default chain's kernel mode as it stands: the chain is a UDP
// receive path in front of a load balancer, not lighttpd serving 64 B files over short TCP
// connections, so the row compares the split the chain has today and says so. It measures the
// same way `vnflab breakdown`'s kernel row does (breakdown/breakdown.ts).

import { KERNEL_ROW, runRow } from '../breakdown/breakdown';
import { MTCP_GROUPS } from '../breakdown/published';
import type { Finding } from './finding';

const PAPER = { packet_io: 4.5, kernel_without_tcpip: 45.3, tcpip: 33.6, application: 16.7 } as const;
const LABEL = {
  packet_io: 'packet I/O',
  kernel_without_tcpip: 'kernel w/o TCP/IP',
  tcpip: 'TCP/IP',
  application: 'application',
} as const;

export const mtcpFigure1: Finding = {
  name: 'mtcp-figure1',
  source:
    'mTCP (Jeong et al., NSDI 2014), Figure 1: lighttpd on Linux 3.10 spends 4.5 % in packet I/O, 45.3 % in the kernel outside TCP/IP, 33.6 % in TCP/IP, 16.7 % in the application',
  setup:
    'Paper: short TCP connections (ApacheBench), one 64 B file each, multithreaded epoll lighttpd on 8 cores of a Xeon E5-2690, 82599 NIC. Figure: CPU share outside the application (83.4 %).',
  published: 83.4,
  unit: '% CPU outside the application',
  band: [78, 88],
  bandWhy: "five points either side of the paper's 83.4 %, about the spread between the systems the paper measured.",
  async measure(ctx) {
    const durationS = ctx.quick ? 0.15 : 1;
    const o = { registry: ctx.registry, profile: ctx.profile, middle: ctx.defaultMiddle, durationS };
    await runRow(o, KERNEL_ROW, ctx.quick ? 0.05 : 0.3); // warm-up, unreported (JIT)
    const row = await runRow(o, KERNEL_ROW);
    const s = row.system.cpu_share;
    const shares = MTCP_GROUPS.map((g) => `${LABEL[g]} ${(s[g] * 100).toFixed(1)} % (paper ${PAPER[g]} %)`).join(', ');
    const kernel = row.system.kernel_share * 100;
    const noServer =
      'The lab has no TCP server yet (no connections, accept, epoll or file serving; a later issue adds the web-server workload), so the application is the lb';
    return {
      measured: kernel,
      lab: `the default chain (traffic-gen > ${row.system.stages.join(' > ')} > backends) with kernel-path in kernel mode, 64 B UDP, unlimited rate, as vnflab breakdown's kernel row; shares of the measured CPU of ${row.system.stages.join(', ')} with the lab transport left out.`,
      inBand: `${shares}. ${noServer}: the overall split matches while the groups within it need not.`,
      miss: `${shares}. ${noServer}: its per-packet work (a Maglev lookup, connection tracking, a NAT rewrite) is the application, and no TCP/IP work is done beyond IPv4/UDP demux and checksums (no connection state, no ACKs, no segments built), so the TCP/IP group is a floor and the application's share is ${kernel > 88 ? 'smaller' : 'larger'} than lighttpd's. The receive path already amortises as Linux 3.10 does (NAPI takes the nic's moderated interrupts; the thread switches only when it slept and is woken), so the kernel group is what receiving UDP costs, not a web server's accept, epoll_wait, read, writev and close per connection.`,
    };
  },
};
