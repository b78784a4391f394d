// The names a TCP endpoint drops segments and closes connections with, registered through
// core's reasonCode so a drop carries the same code as every other stage's.

import { Reason, reasonCode } from '@vnflab/core';

export const TcpReason = {
  bad_ip_checksum: Reason.bad_ip_checksum,
  bad_l4_checksum: Reason.bad_l4_checksum,
  truncated: Reason.truncated,
  not_tcp: reasonCode('not_tcp'),
  bad_tcp_option: reasonCode('bad_tcp_option'),
  /** A segment for a 4-tuple with no connection on a port nobody listens on (RST sent). */
  closed_port: reasonCode('closed_port'),
  /** A non-SYN segment to a listening port with no connection (RST sent when it had ACK). */
  no_connection: reasonCode('no_connection'),
  syn_queue_full: reasonCode('syn_queue_full'),
  accept_queue_full: reasonCode('accept_queue_full'),
  /** Failed the RFC 9293 §3.10.7.4 acceptability test (ACK sent). */
  out_of_window: reasonCode('out_of_window'),
  /** Every byte already received (ACK sent, nothing delivered twice). */
  duplicate_segment: reasonCode('duplicate_segment'),
  ooo_queue_full: reasonCode('ooo_queue_full'),
  /** An ACK for something never sent, or unacceptable in SYN-SENT / SYN-RECEIVED. */
  bad_ack: reasonCode('bad_ack'),
  /** An RST that is not exactly at RCV.NXT (RFC 5961 §3.2: challenge ACK) or not acceptable. */
  rst_ignored: reasonCode('rst_ignored'),
  /** A SYN in a synchronized state (RFC 5961 §4: challenge ACK). */
  syn_in_window: reasonCode('syn_in_window'),
  no_ack_flag: reasonCode('no_ack_flag'),
  /** A segment with neither data nor anything left to do in its state (after our FIN, say). */
  ignored_segment: reasonCode('ignored_segment'),
  /** Counted, with no packet to drop: */
  tx_no_room: reasonCode('tx_no_room'),
  tw_bucket_overflow: reasonCode('tw_bucket_overflow'),
  send_buffer_full: reasonCode('send_buffer_full'),
  retransmit_limit: reasonCode('retransmit_limit'),
  synack_timeout: reasonCode('synack_timeout'),
  /** FIN_WAIT_2 outlived finTimeoutMs: the peer never sent its FIN. */
  fin_wait2_timeout: reasonCode('fin_wait2_timeout'),
  connection_table_full: reasonCode('connection_table_full'),
} as const;

/** Why a connection ended, as `TcpEvents.closed` reports it. */
export const CloseReason = {
  /** Both FINs exchanged and acknowledged (after TIME_WAIT on the side that closed first). */
  normal: 0,
  /** The peer sent an acceptable RST. */
  reset: 1,
  /** Retransmissions exhausted (retries2, or syn retries for connect). */
  timeout: 2,
  /** This side called abort(). */
  aborted: 3,
  /** A SYN-SENT connection got RST,ACK: nobody listens there. */
  refused: 4,
} as const;
export type CloseReasonCode = (typeof CloseReason)[keyof typeof CloseReason];
export const CLOSE_REASON_NAMES = ['normal', 'reset', 'timeout', 'aborted', 'refused'] as const;
