// The guest receive path benchmark: the guest receive path element alone, kernel mode versus each ablation
// versus bypass, packets/s and CPU ns per packet, in one run.

const { benchKernelPath } = require('@vnflab/lab');

module.exports = async function kernelPath({ quick, log }) {
  log('kernel-path: kernel, each mechanism off, bypass (element alone, 64 B, linux-3.10-xeon) ...');
  const r = await benchKernelPath({ size: 64, packets: quick ? 20000 : 100000 });
  const rows = r.rows.map((row) => [
    `${row.name} (${row.label})`,
    `${(row.pps / 1e6).toFixed(3)} Mpps`,
    `${row.ns_per_packet.toFixed(0)} ns/packet`,
  ]);
  if (r.bypass_over_kernel)
    rows.push([
      'bypass / kernel',
      `${r.bypass_over_kernel.pps.toFixed(1)}x packets/s`,
      `${r.bypass_over_kernel.ns_per_packet.toFixed(0)}x fewer ns/packet (published: DPDK/Linux per core 43.5/4.8 = 9x, netmap 10-20x)`,
    ]);
  return { rows, data: r };
};
