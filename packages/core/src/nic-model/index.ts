// The NIC model shared by the nic and kernel-path stages: guest memory, a packet-buffer pool and
// 82599-style RX and TX descriptor rings.
export * from './guest-memory';
export * from './mempool';
export * from './desc-ring';
export * from './rx-ring';
export * from './tx-ring';
export * from './ring-occupancy';
