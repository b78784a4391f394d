// Every constant of the endpoint, with its default and where that default comes from. Linux
// names are those of Linux 3.10 (include/net/tcp.h, net/ipv4), the kernel of mTCP's Figure 1.

export interface TcpSettings {
  /** This endpoint's IPv4 address (source of connect(); listeners accept any destination). */
  localIp: number;
  /** Our MAC, and the peer's for connect() (a passive connection answers the SYN's source MAC). */
  localMac: Uint8Array;
  gatewayMac: Uint8Array;
  /** Largest payload we receive per segment: Ethernet MTU 1500 - 40 (RFC 9293 §3.7.1). */
  mss: number;
  /** The peer's MSS when its SYN carries none: 536 (RFC 9293 §3.7.1, TCP_MSS_DEFAULT). */
  defaultPeerMss: number;
  /**
   * Receive window in bytes. Bytes leave the endpoint as soon as they are in order (the `data`
   * event), so the window stays open; 65535 is the largest unscaled window (RFC 9293 §3.1).
   */
  receiveWindow: number;
  /** Our window-scale shift (RFC 7323 §2); Linux 3.10 reaches 7 for tcp_rmem[2] = 6 MB. */
  windowScale: number;
  /** Offer timestamps (RFC 7323 §3); Linux default sysctl_tcp_timestamps = 1. */
  timestamps: boolean;
  /** Offer SACK-permitted (RFC 2018). Off: this endpoint sends no SACK blocks. */
  sackPermitted: boolean;
  /** Initial RTO: 1 s (RFC 6298 §2.1, TCP_TIMEOUT_INIT). */
  rtoInitialMs: number;
  /** Lower bound of the RTO: 200 ms (TCP_RTO_MIN; RFC 6298 §2.4 says 1 s, Linux uses 200 ms). */
  rtoMinMs: number;
  /** Upper bound of the backed-off RTO: 120 s (TCP_RTO_MAX; RFC 6298 §2.5 allows >= 60 s). */
  rtoMaxMs: number;
  /** Delayed ACK timeout: 40 ms (TCP_DELACK_MIN); a second full segment is ACKed at once. */
  delayedAckMs: number;
  /** Delayed ACKs on (Linux's default); false ACKs every segment at once (TCP_QUICKACK). */
  delayedAck: boolean;
  /** TIME_WAIT length, 2 MSL: 60 s (TCP_TIMEWAIT_LEN). */
  timeWaitMs: number;
  /** How long FIN_WAIT_2 waits for the peer's FIN: 60 s (TCP_FIN_TIMEOUT). */
  finTimeoutMs: number;
  /** SYN retransmissions before connect() gives up: 6 (TCP_SYN_RETRIES). */
  synRetries: number;
  /** SYN-ACK retransmissions before a SYN-RECEIVED connection is freed: 5 (TCP_SYNACK_RETRIES). */
  synAckRetries: number;
  /** Data/FIN retransmissions before the connection is reset: 15 (TCP_RETR2). */
  retries2: number;
  /**
   * Most connections in TIME_WAIT; beyond it a closing connection is freed at once and counted
   * (tcp_max_tw_buckets; Linux 3.10 starts it at NR_FILE * 2 = 16384, tcp_minisocks.c).
   */
  maxTwBuckets: number;
  /** Accept queue bound of listen() when not given: 128 (SOMAXCONN). */
  backlog: number;
  /**
   * tcp_max_syn_backlog: 1024 on large-memory hosts (tcp_hashinfo sizing in tcp_init). A
   * listener's SYN queue is sized from it and the backlog as listener.ts's synQueueBound says.
   */
  synBacklog: number;
  /**
   * Connection table size, TCBs preallocated: a lab sizing, not a Linux constant (Linux grows
   * its established hash with memory); 16384 holds 8K concurrent connections (mTCP Figure 1's
   * load) with as many in TIME_WAIT.
   */
  maxConnections: number;
  /** Send buffer per connection: 16384 bytes (tcp_wmem[1]), kept as MSS-sized segments. */
  sendBufferBytes: number;
  /**
   * Out-of-order segments kept per connection before further ones are dropped: a lab bound
   * (Linux bounds the queue by the receive buffer, tcp_rmem); 16 segments cover a 23 KB hole.
   */
  oooSegments: number;
  /**
   * Segment chunks (mss bytes each) shared by every connection's send and out-of-order queues:
   * a lab sizing, 8192 x 1460 B = 11.4 MiB preallocated.
   */
  poolSegments: number;
  /** Ephemeral ports for connect(): 32768..61000 (ip_local_port_range in Linux 3.10). */
  ephemeralLow: number;
  ephemeralHigh: number;
  /** Initial sequence number; default RFC 9293 §3.4.1 (4 µs clock + keyed hash of the 4-tuple). */
  issFor?: (localIp: number, localPort: number, remoteIp: number, remotePort: number, nowNs: number) => number;
}

export const DEFAULT_TCP_SETTINGS: Omit<TcpSettings, 'localIp' | 'issFor'> = {
  localMac: Uint8Array.from([0x02, 0, 0, 0, 0, 0x10]),
  gatewayMac: Uint8Array.from([0x02, 0, 0, 0, 0, 0x20]),
  mss: 1460,
  defaultPeerMss: 536,
  receiveWindow: 65535,
  windowScale: 7,
  timestamps: true,
  sackPermitted: false,
  rtoInitialMs: 1000,
  rtoMinMs: 200,
  rtoMaxMs: 120_000,
  delayedAckMs: 40,
  delayedAck: true,
  timeWaitMs: 60_000,
  finTimeoutMs: 60_000,
  synRetries: 6,
  synAckRetries: 5,
  retries2: 15,
  maxTwBuckets: 16384,
  backlog: 128,
  synBacklog: 1024,
  maxConnections: 16384,
  sendBufferBytes: 16384,
  oooSegments: 16,
  poolSegments: 8192,
  ephemeralLow: 32768,
  ephemeralHigh: 61000,
};

/** Defaults filled in and every number checked; a bad value throws naming its key. */
export function resolveTcpSettings(s: Partial<TcpSettings> & { localIp: number }): TcpSettings {
  const r: TcpSettings = { ...DEFAULT_TCP_SETTINGS, ...s };
  // a small table gets a TIME_WAIT bound that fits it unless one is given
  if (s.maxTwBuckets === undefined) r.maxTwBuckets = Math.min(r.maxTwBuckets, r.maxConnections);
  const int = (key: keyof TcpSettings, lo: number, hi: number): void => {
    const v = r[key] as number;
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`tcp.${key}: ${v} is not an integer in ${lo}..${hi}`);
  };
  int('localIp', 0, 0xffffffff);
  int('mss', 88, 9000);
  int('defaultPeerMss', 88, 9000);
  int('receiveWindow', 1, 0x3fffffff);
  int('windowScale', 0, 14); // RFC 7323 §2.3: at most 14
  int('rtoInitialMs', 1, 3_600_000);
  int('rtoMinMs', 1, 3_600_000);
  int('rtoMaxMs', r.rtoMinMs, 3_600_000);
  int('delayedAckMs', 1, 60_000);
  int('timeWaitMs', 1, 3_600_000);
  int('finTimeoutMs', 1, 3_600_000);
  int('synRetries', 0, 255);
  int('synAckRetries', 0, 255);
  int('retries2', 0, 255);
  int('maxConnections', 1, 1 << 22);
  int('maxTwBuckets', 0, r.maxConnections);
  int('backlog', 1, 1 << 20);
  int('synBacklog', 1, 1 << 20);
  int('sendBufferBytes', 1, 1 << 26);
  int('oooSegments', 0, 1 << 16);
  int('poolSegments', 1, 1 << 22);
  int('ephemeralLow', 1, 65535);
  int('ephemeralHigh', r.ephemeralLow, 65535);
  if (r.localMac.length !== 6) throw new Error('tcp.localMac: must be 6 bytes');
  if (r.gatewayMac.length !== 6) throw new Error('tcp.gatewayMac: must be 6 bytes');
  return r;
}
