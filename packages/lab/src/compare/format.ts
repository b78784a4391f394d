// Number formatting shared by the Markdown and HTML reports.

import type { CompareResult, CpuWindow, FrameSize } from './model';

export const GROUP_LABELS: Record<string, string> = {
  packet_io: 'packet I/O',
  kernel_without_tcpip: 'kernel w/o TCP/IP',
  tcpip: 'TCP/IP',
  application: 'application',
  lab_transport: 'lab transport',
  host: 'host threads',
};

/** The stage's CPU per packet split into the guest's and KVM's host threads' (the lab transport in neither). */
export function guestHostNs(cpu: CpuWindow): { guest: number; host: number } {
  // the shares are of everything the stage spent, the lab's transport included
  const host = (cpu.stage_ns_per_packet + cpu.bus_ns_per_packet) * (cpu.stage_share.host ?? 0);
  return { guest: cpu.stage_ns_per_packet - host, host };
}

export function pps(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(0);
}

export function seconds(s: number): string {
  if (s <= 0) return '0';
  if (s < 1e-3) return `${(s * 1e6).toFixed(1)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(2)} ms`;
  return `${s.toFixed(2)} s`;
}

export const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export const sizeLabel = (s: FrameSize): string => (s === 'imix' ? 'IMIX' : `${s} B`);

/** A figure as the reports show it: its value, and with --repeat its spread, "median (min–max)". */
export function fig(x: CompareResult, name: string, value: number, fmt: (v: number) => string): string {
  const s = x.repeat?.spread[name];
  return s ? `${fmt(value)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(value);
}
