// Everything that measures the chain rather than forwarding its packets: the overhead
// breakdown and the published figures it is set beside, every published finding reproduced
// (vnflab reproduce), variant comparisons (embedded and
// compose, NDR, reports), the per-stage benchmarks behind `npm run bench`, and the in-process
// live swap those benchmarks time.
export * from './breakdown/published';
export * from './breakdown/breakdown';
export * from './breakdown/http-breakdown';
export * from './reproduce/index';
export * from './compare/index';
export * from './swap/swappable-element';
export * from './swap/embedded-swap';
export * from './bench/kernel-path-bench';
export { nicBench, NIC_BENCH_CASES, type NicBenchPoint, type NicBenchOptions } from './bench/nic-bench';
export * from './bench/lb-bench';
export * from './bench/swap-bench';
export * from './swarm/swarm-stack';
export * from './bench/swarm-bench';
