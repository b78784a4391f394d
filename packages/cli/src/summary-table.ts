// The human-readable end-of-run summary.

import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError, type RunSummary } from '@vnflab/runtime';
import { fmtSeconds } from './live-table';

/** Why offered packets were not sent: the chain holding the generator back, or its own lateness. */
function notSentWhy(notSent: number, late: number | undefined): string {
  if (late === undefined) return 'the chain held the generator back, or the generator fell behind';
  if (late === 0) return 'the chain held the generator back';
  if (late >= notSent) return "the generator's own lateness: its timers or its CPU, not the chain";
  return `${notSent - late} held back by the chain, ${late} lost to the generator's own lateness: its timers or its CPU`;
}

export function formatSummary(s: RunSummary): string {
  const l: string[] = [];
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  l.push(`chain ${s.chain} (profile ${s.profile}), ${s.duration_s.toFixed(2)} s`);
  if (s.originated === undefined)
    l.push(
      `sent ${s.sent}  received ${s.received}  dropped ${s.drops_total}  duplicates ${s.duplicates}  -> accounting ${s.accounting_closed ? 'closes' : 'DOES NOT CLOSE'} (sent = received + drops)`,
    );
  else
    l.push(
      `sent ${s.sent}  originated ${s.originated}  delivered ${s.delivered}${s.loop ? '' : `  received ${s.received}`}  dropped ${s.drops_total}  duplicates ${s.duplicates}  -> accounting ${s.accounting_closed ? 'closes' : 'DOES NOT CLOSE'} (sent + originated = delivered + ${s.loop ? '' : 'received + '}drops${s.loop ? `; back at the source ${s.received}` : ''})`,
    );
  if (s.offered !== undefined && s.not_sent !== undefined)
    l.push(
      `offered ${s.offered}, sent ${s.sent}, not sent ${s.not_sent}${s.not_sent > 0 ? ` (${notSentWhy(s.not_sent, s.not_sent_late)})` : ''}`,
    );
  l.push(
    `throughput ${(s.throughput_pps / 1e6).toFixed(3)} Mpps   end-to-end latency p50 ${fmtSeconds(s.latency_seconds.p50)}  p90 ${fmtSeconds(s.latency_seconds.p90)}  p99 ${fmtSeconds(s.latency_seconds.p99)}  max ${fmtSeconds(s.latency_seconds.max)}`,
  );
  for (const [stage, d] of Object.entries(s.drops)) {
    l.push(
      `drops at ${stage}: ${Object.entries(d)
        .map(([r, n]) => `${r} ${n}`)
        .join(', ')}`,
    );
  }
  l.push('');
  l.push('stage          variant       in          out         CPU ns/pkt  top CPU categories');
  for (const st of s.stages) {
    const cats = Object.entries(st.cpu_seconds)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]);
    const tot = cats.reduce((a, [, v]) => a + v, 0);
    const top = cats
      .slice(0, 4)
      .map(([c, v]) => `${c} ${pct(v / tot)}`)
      .join(', ');
    l.push(
      `${st.name.padEnd(14)} ${st.variant.padEnd(12)} ${String(st.packets_in).padStart(10)}  ${String(st.packets_out).padStart(10)}  ${st.cpu_ns_per_packet.toFixed(0).padStart(10)}  ${top}`,
    );
    if (st.originated || st.delivered)
      l.push(`${''.padEnd(14)} originated ${st.originated ?? 0}, delivered ${st.delivered ?? 0}`);
    // what KVM's host threads did for this stage, apart from what the guest spent
    const host = st.cpu_seconds.host ?? 0;
    if (host > 0) {
      const per = (sec: number): string => ((sec * 1e9) / Math.max(1, st.packets_in)).toFixed(0);
      l.push(
        `${''.padEnd(14)} guest ${per(tot - host - (st.cpu_seconds.bus ?? 0))} ns/pkt, host ${per(host)} ns/pkt (KVM's host threads: vhost-net or QEMU, the host NIC driver), lab transport ${per(st.cpu_seconds.bus ?? 0)} ns/pkt`,
      );
    }
    // a stage's own one-line result, from its describe(): the HTTP client's transactions/s and latencies
    const headline = st.details?.headline;
    if (typeof headline === 'string') l.push(`${''.padEnd(14)} ${headline}`);
  }
  const waits = runQueueLine(s);
  if (waits) l.push('', waits);
  const sh = s.cpu_share;
  if (Object.values(sh).some((v) => v > 0)) {
    l.push('');
    l.push(
      `CPU share of the stages under test (mTCP Figure 1 groups): packet I/O ${pct(sh.packet_io)}, kernel without TCP/IP ${pct(sh.kernel_without_tcpip)}, TCP/IP ${pct(sh.tcpip)}, application ${pct(sh.application)}; apart: lab transport ${pct(sh.lab_transport)}, host threads ${pct(sh.host ?? 0)}`,
    );
  }
  return l.join('\n');
}

/**
 * How long the run's processes were ready and waited for a CPU other processes held (services:
 * each stage's; embedded: the chain's one process). Batches that arrive meanwhile wait with it,
 * so on a machine with fewer cores than busy processes this is part of every hop's latency; and
 * a meter's window that a wait fell into holds it too, so a high share says the machine was busy.
 */
function runQueueLine(s: RunSummary): string | null {
  const perRun = (wait: number, periods: number): string => (periods > 0 ? ((wait / periods) * 1e6).toFixed(0) : '0');
  // embedded: the chain's one process, over the run
  if (s.run_queue) {
    const r = s.run_queue;
    const share = s.duration_s > 0 ? ((r.wait_seconds / s.duration_s) * 100).toFixed(1) : '0.0';
    return `waiting for a CPU (the kernel's run queue): the chain's process ${share} % of the run (${perRun(r.wait_seconds, r.periods)} µs a time), while other work on this machine held the cores`;
  }
  const rows = s.stages.filter((st) => st.run_queue);
  if (rows.length === 0) return null;
  const each = rows.map((st) => {
    const r = st.run_queue!;
    const replica = (st as { replica?: number }).replica;
    const name = replica ? `${st.name}#${replica}` : st.name;
    const share = r.uptime_seconds > 0 ? ((r.wait_seconds / r.uptime_seconds) * 100).toFixed(1) : '0.0';
    return `${name} ${share} % of ${r.uptime_seconds.toFixed(0)} s (${perRun(r.wait_seconds, r.periods)} µs a time)`;
  });
  return `waiting for a CPU (the kernel's run queue; batches that arrive meanwhile wait too): ${each.join(', ')}`;
}

/**
 * Checks before a run that `--json FILE` can be written (its folder exists and is writable, the
 * name is not a folder), so a long run never ends in a raw ENOENT.
 */
export function checkJsonPath(jsonFile: string | undefined, flag = 'json'): void {
  if (jsonFile === undefined) return;
  try {
    if (existsSync(jsonFile) && statSync(jsonFile).isDirectory())
      throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    accessSync(dirname(resolve(jsonFile)), constants.W_OK);
  } catch (e) {
    throw new UsageError(
      `--${flag}: cannot write ${jsonFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** Writes the JSON summary if asked, and says so when the accounting does not close (exit 1). */
export function finishRun(
  summary: Pick<
    RunSummary,
    'accounting_closed' | 'sent' | 'received' | 'drops_total' | 'originated' | 'delivered' | 'loop'
  >,
  jsonFile: string | undefined,
): number {
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify(summary, null, 2) + '\n');
  if (summary.accounting_closed) return 0;
  if (summary.originated !== undefined) {
    process.stderr.write(
      `vnflab: accounting does not close: sent ${summary.sent} + originated ${summary.originated} != delivered ${summary.delivered}${summary.loop ? '' : ` + received ${summary.received}`} + drops ${summary.drops_total}\n`,
    );
    return 1;
  }
  process.stderr.write(
    `vnflab: accounting does not close: sent ${summary.sent} != received ${summary.received} + drops ${summary.drops_total}\n`,
  );
  return 1;
}
