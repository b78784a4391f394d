// What the HTTP client measures, all at the source as round trips (no clock shared with the
// server is needed): connect time (SYN sent to SYN-ACK in), time to first byte (request sent to
// the response's first byte), transaction time (from the connect for a connection's first
// request, from the request for a later keep-alive one, to the response's last byte), and the
// counters of transactions, connections, requests and responses. Failure reasons are a fixed
// list, so every Prometheus label is bounded.

import { LogHistogram, histogramSamples, LATENCY_BUCKETS_S, type CustomMetricSpec } from '@vnflab/core';

/** Why a connection (and the transaction it carried) failed. */
export const FAILURES = [
  /** RST answering our SYN: nobody listens there. */
  'refused',
  /** RST on an established connection. */
  'reset',
  /** No SYN-ACK within connect_timeout_ms. */
  'connect_timeout',
  /** The response was not complete within response_timeout_ms. */
  'response_timeout',
  /** The TCP endpoint gave up retransmitting (SYN or data retries exhausted). */
  'retransmit_timeout',
  /** Not a well-formed response, bytes past its end, or the connection ended inside it. */
  'bad_response',
  /** Its last response in, the FIN exchange not finished within response_timeout_ms. */
  'close_timeout',
  /** Still open when drain_timeout_ms ran out at the end of the run. */
  'drain_timeout',
] as const;
export type Failure = (typeof FAILURES)[number];
export const Fail = Object.fromEntries(FAILURES.map((f, i) => [f, i])) as Record<Failure, number>;

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;

export const HTTP_METRICS = [
  { name: 'vnflab_http_transactions_total', help: 'HTTP transactions ended, by result', type: 'counter' },
  {
    name: 'vnflab_http_transaction_failures_total',
    help: 'HTTP transactions failed, by the reason their connection failed',
    type: 'counter',
  },
  { name: 'vnflab_http_connections_total', help: 'TCP connections the client opened, by outcome', type: 'counter' },
  {
    name: 'vnflab_http_connection_failures_total',
    help: 'TCP connections that failed, by reason',
    type: 'counter',
  },
  { name: 'vnflab_http_requests_total', help: 'HTTP requests sent', type: 'counter' },
  { name: 'vnflab_http_responses_total', help: 'HTTP responses received, by status class', type: 'counter' },
  { name: 'vnflab_http_retransmissions_total', help: 'TCP segments the client retransmitted', type: 'counter' },
  { name: 'vnflab_http_connections_open', help: 'Connections the client has open now', type: 'gauge' },
  { name: 'vnflab_http_connect_seconds', help: 'SYN sent to SYN-ACK received', type: 'histogram' },
  { name: 'vnflab_http_ttfb_seconds', help: "Request sent to the response's first byte", type: 'histogram' },
  { name: 'vnflab_http_transaction_seconds', help: 'A transaction from its start to its last byte', type: 'histogram' },
] as const;

function q(h: LogHistogram): { p50: number; p90: number; p99: number; max: number } {
  if (h.count === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  return { p50: h.quantile(0.5) / 1e9, p90: h.quantile(0.9) / 1e9, p99: h.quantile(0.99) / 1e9, max: h.max / 1e9 };
}

export class ClientStats {
  readonly connect = new LogHistogram();
  readonly ttfb = new LogHistogram();
  readonly transaction = new LogHistogram();
  transactionsCompleted = 0;
  readonly transactionsFailed = new Float64Array(FAILURES.length);
  connectionsOpened = 0;
  connectionsEstablished = 0;
  /** Ended with both FINs exchanged after their last response. */
  connectionsCompleted = 0;
  readonly connectionsFailed = new Float64Array(FAILURES.length);
  requests = 0;
  readonly responses = new Float64Array(STATUS_CLASSES.length);
  /** connect() found no free port on any client address (ports held in TIME_WAIT): retried later. */
  noFreePort = 0;
  firstNs = -1;
  lastNs = -1;

  response(status: number): void {
    const c = status >= 100 && status < 600 ? Math.floor(status / 100) - 1 : STATUS_CLASSES.length - 1;
    this.responses[c]++;
  }

  get transactionsFailedTotal(): number {
    return this.transactionsFailed.reduce((a, b) => a + b, 0);
  }

  /** Completed transactions per second between the first connect and the last transaction's end. */
  get transactionsPerSecond(): number {
    const span = (this.lastNs - this.firstNs) / 1e9;
    return span > 0 ? this.transactionsCompleted / span : 0;
  }

  private static byName(names: readonly string[], counts: Float64Array): Record<string, number> {
    const out: Record<string, number> = {};
    names.forEach((n, i) => {
      if (counts[i] > 0) out[n] = counts[i];
    });
    return out;
  }

  describe(
    open: number,
    retransmissions: number,
    rateSkipped: number,
    extra: Record<string, unknown>,
  ): Record<string, unknown> {
    const tps = this.transactionsPerSecond;
    const c = q(this.connect);
    const f = q(this.ttfb);
    const t = q(this.transaction);
    const ms = (s: number): string => `${(s * 1e3).toFixed(3)} ms`;
    return {
      // one line for the run summary
      headline:
        `${this.transactionsCompleted} transactions (${tps.toFixed(0)}/s), ${this.transactionsFailedTotal} failed; ` +
        `connect p50 ${ms(c.p50)} p99 ${ms(c.p99)}, first byte p50 ${ms(f.p50)} p99 ${ms(f.p99)}, ` +
        `transaction p50 ${ms(t.p50)} p99 ${ms(t.p99)}` +
        (rateSkipped > 0 ? `; ${rateSkipped} not started on the rate's schedule (the client fell behind)` : ''),
      transactions: {
        completed: this.transactionsCompleted,
        failed: ClientStats.byName(FAILURES, this.transactionsFailed),
        per_second: tps,
      },
      connections: {
        opened: this.connectionsOpened,
        established: this.connectionsEstablished,
        completed: this.connectionsCompleted,
        failed: ClientStats.byName(FAILURES, this.connectionsFailed),
        open,
        no_free_port: this.noFreePort,
      },
      requests: this.requests,
      responses: ClientStats.byName(STATUS_CLASSES, this.responses),
      retransmissions,
      latency_seconds: { connect: c, ttfb: f, transaction: t },
      ...extra,
    };
  }

  metrics(stage: string, variant: string, open: number, retransmissions: number): CustomMetricSpec[] {
    const base = { stage, variant };
    const [tx, txFail, conns, connFail, reqs, resps, rtx, openM, connectM, ttfbM, transM] = HTTP_METRICS;
    const perReason = (counts: Float64Array): CustomMetricSpec['samples'] =>
      FAILURES.map((reason, i) => ({ labels: { ...base, reason }, value: counts[i] }));
    const hist = (name: string, h: LogHistogram): CustomMetricSpec['samples'] =>
      histogramSamples(name, h, base, LATENCY_BUCKETS_S, 1e9);
    return [
      {
        ...tx,
        samples: [
          { labels: { ...base, result: 'completed' }, value: this.transactionsCompleted },
          { labels: { ...base, result: 'failed' }, value: this.transactionsFailedTotal },
        ],
      },
      { ...txFail, samples: perReason(this.transactionsFailed) },
      {
        ...conns,
        samples: [
          { labels: { ...base, outcome: 'opened' }, value: this.connectionsOpened },
          { labels: { ...base, outcome: 'established' }, value: this.connectionsEstablished },
          { labels: { ...base, outcome: 'completed' }, value: this.connectionsCompleted },
        ],
      },
      { ...connFail, samples: perReason(this.connectionsFailed) },
      { ...reqs, samples: [{ labels: base, value: this.requests }] },
      {
        ...resps,
        samples: STATUS_CLASSES.map((cls, i) => ({ labels: { ...base, class: cls }, value: this.responses[i] })),
      },
      { ...rtx, samples: [{ labels: base, value: retransmissions }] },
      { ...openM, samples: [{ labels: base, value: open }] },
      { ...connectM, samples: hist(connectM.name, this.connect) },
      { ...ttfbM, samples: hist(ttfbM.name, this.ttfb) },
      { ...transM, samples: hist(transM.name, this.transaction) },
    ];
  }
}
