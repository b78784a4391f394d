// The NIC model shared by the nic and kernel-path stages: guest memory, a packet-buffer pool and
// an 82599-style RX descriptor ring.
export * from './guest-memory';
export * from './mempool';
export * from './rx-ring';
