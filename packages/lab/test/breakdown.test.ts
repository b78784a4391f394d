// The overhead breakdown and the bench, on short real runs: structure, per-row accounting,
// shares that close, the toggles each row switched, and the published figures beside ours.

import { StageRegistry } from '@vnflab/core';
import { trafficGenStage } from '@vnflab/traffic-gen';
import { backendsStage } from '@vnflab/backends';
import { kernelPathStage } from '@vnflab/kernel-path';
import {
  ABLATION_ROWS,
  BYPASS_ROW,
  KERNEL_ROW,
  MITIGATION_ROWS,
  MTCP_GROUPS,
  benchKernelPath,
  defaultRows,
  formatBreakdown,
  runBreakdown,
  type BreakdownReport,
} from '@vnflab/lab';

const registry = (): StageRegistry =>
  new StageRegistry().register(trafficGenStage).register(kernelPathStage).register(backendsStage);

const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);

describe('runBreakdown', () => {
  let report: BreakdownReport;
  beforeAll(async () => {
    report = await runBreakdown({
      registry: registry(),
      durationS: 0.1,
      warmupS: 0.05,
      size: 64,
      profile: 'linux-3.10-xeon',
    });
  });

  it('runs kernel, each mechanism off in turn, the mitigations, then bypass', () => {
    expect(report.rows.map((r) => r.name)).toEqual([
      'kernel',
      '-irq',
      '-alloc',
      '-copies',
      '-syscall',
      '-stack',
      'napi',
      'recvmmsg',
      'bypass',
    ]);
    expect(report.rows.map((r) => r.name)).toEqual(defaultRows().map((r) => r.name));
    const t = Object.fromEntries(report.rows.map((r) => [r.name, r.toggles]));
    expect(t.kernel).toEqual({
      irq: 'napi:64',
      alloc: 'per-packet',
      copies: 'both',
      syscall: 'per-packet',
      stack: 'full',
    });
    expect(t['-irq']).toEqual({ ...t.kernel, irq: 'poll:32' });
    expect(t['-alloc']).toEqual({ ...t.kernel, alloc: 'pool' });
    expect(t['-copies']).toEqual({ ...t.kernel, copies: 'none' });
    expect(t['-syscall']).toEqual({ ...t.kernel, syscall: 'none' });
    expect(t['-stack']).toEqual({ ...t.kernel, stack: 'none' });
    expect(t.bypass).toEqual({ irq: 'poll:32', alloc: 'pool', copies: 'none', syscall: 'none', stack: 'none' });
  });

  it('every row closes its accounting and delivers all it was sent', () => {
    for (const r of report.rows) {
      expect(r.accounting_closed).toBe(true);
      expect(r.sent).toBeGreaterThan(0);
      expect(r.received + r.drops_total).toBe(r.sent);
      expect(r.drops_total).toBe(0);
      expect(r.kernel_path.packets_in).toBe(r.sent);
    }
  });

  it('CPU shares sum to 100 % (+-1 %) of the measured CPU, with and without the lab transport', () => {
    for (const r of report.rows) {
      expect(Math.abs(sum(r.system.share_of_measured) - 1)).toBeLessThan(0.01);
      expect(Math.abs(sum(r.system.cpu_share) - 1)).toBeLessThan(0.01);
      expect(Object.keys(r.system.cpu_share)).toEqual([...MTCP_GROUPS]);
      expect(r.system.measured_cpu_s).toBeGreaterThan(0);
      expect(r.kernel_path.ns_per_packet).toBeGreaterThan(0);
      expect(r.kernel_path.capacity_pps).toBeCloseTo(1e9 / r.kernel_path.ns_per_packet, 6);
    }
  });

  it('the events per packet are the ones each row switched on', () => {
    const ev = Object.fromEntries(report.rows.map((r) => [r.name, r.kernel_path.events_per_packet]));
    expect(ev.kernel).toMatchObject({ alloc: 1, copy: 2, syscall: 1 });
    // NAPI with no NIC before kernel-path: one interrupt of its own ring per (full) batch of 64,
    // and the application, asleep between batches, is woken once per batch
    expect(ev.kernel.interrupt).toBeLessThan(0.05);
    expect(ev.kernel.context_switch).toBeCloseTo(ev.kernel.interrupt, 9);
    expect(ev['-irq'].interrupt).toBeUndefined();
    expect(ev['-irq'].empty_poll).toBeGreaterThan(0);
    expect(ev['-alloc'].alloc).toBeUndefined();
    expect(ev['-copies'].copy).toBeUndefined();
    expect(ev['-syscall'].syscall).toBeUndefined();
    expect(ev.napi.interrupt).toBeLessThan(0.1);
    expect(ev.recvmmsg.syscall).toBeLessThan(0.1);
    expect(Object.keys(ev.bypass)).toEqual(['empty_poll']);
  });

  it('names the application: with nothing after kernel-path, the sink', () => {
    expect(report.rows[0].system.stages).toEqual(['kernel-path', 'backends']);
    expect(report.rows[0].system.application).toEqual(['backends']);
  });

  it('puts the published figures beside ours, with the bypass/kernel ratio and notes', () => {
    const c = report.comparison;
    expect(c.mtcp.published).toEqual({
      // mTCP Figure 1's Linux bar, checked against the paper
      packet_io: 0.045,
      kernel_without_tcpip: 0.453,
      tcpip: 0.336,
      application: 0.167,
      kernel: 0.833,
    });
    expect(c.mtcp.ours_kernel_mode!.kernel).toBeCloseTo(1 - c.mtcp.ours_kernel_mode!.application, 9);
    expect(c.netmap.budget_ns).toBe(67.2);
    expect(c.netmap.ours_multiple).toBeCloseTo(report.rows[0].kernel_path.ns_per_packet / 67.2, 9);
    expect(c.xdp.published_ratio).toBeCloseTo(43.5 / 4.8, 9);
    expect(c.bypass_over_kernel.capacity).toBeGreaterThan(0);
    expect(c.bypass_over_kernel.throughput).toBeGreaterThan(0);
    for (const r of report.rows.filter((x) => x.kind !== 'preset')) expect(r.saves_ns_per_packet).not.toBeNull();
    expect(report.notes.some((n) => n.includes("mTCP's 83 %"))).toBe(true);
    expect(report.notes.some((n) => n.includes('XDP paper'))).toBe(true);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('formats a table with every row and the published figures', () => {
    const text = formatBreakdown(report);
    for (const r of report.rows) expect(text).toMatch(new RegExp(`^${r.name.replace('-', '\\-')}\\b`, 'm'));
    expect(text).toContain(
      'mTCP Fig. 1 (Linux 3.10): packet I/O 4.5 %, kernel w/o TCP/IP 45.3 %, TCP/IP 33.6 %, application 16.7 %; kernel 83.3 %',
    );
    expect(text).toContain('67.2 ns');
    expect(text).toContain('DPDK 43.5 Mpps vs Linux 4.8 Mpps');
  });
});

describe('runBreakdown options', () => {
  it('needs exactly one kernel-path among the middle stages', async () => {
    await expect(runBreakdown({ registry: registry(), durationS: 0.05, middle: [] })).rejects.toThrow(
      /exactly one kernel-path \(found 0\)/,
    );
  });

  it('keeps the kernel-path entry settings that are not toggles, and runs the rows it is given', async () => {
    const r = await runBreakdown({
      registry: registry(),
      durationS: 0.05,
      warmupS: 0,
      rows: [KERNEL_ROW, BYPASS_ROW],
      middle: [{ stage: 'kernel-path', settings: { irq: 'napi:8', socket_queue: 8 } }],
    });
    expect(r.rows.map((x) => x.name)).toEqual(['kernel', 'bypass']);
    expect(r.rows[0].toggles.irq).toBe('napi:64'); // the row's toggles win
    expect(r.rows[0].drops['kernel-path']?.socket_queue_full).toBeGreaterThan(0); // the entry's queue bound stays
    expect(r.rows.every((x) => x.accounting_closed)).toBe(true);
  });

  it('rejects a bad size or duration', async () => {
    await expect(runBreakdown({ registry: registry(), size: 32 })).rejects.toThrow(/size 32/);
    await expect(runBreakdown({ registry: registry(), durationS: 0 })).rejects.toThrow(/duration 0/);
  });

  it('row lists are the documented ones', () => {
    expect(ABLATION_ROWS.map((r) => Object.keys(r.settings)[0])).toEqual([
      'irq',
      'alloc',
      'copies',
      'syscall',
      'stack',
    ]);
    expect(MITIGATION_ROWS.map((r) => r.settings)).toEqual([{ irq: 'napi:64' }, { syscall: 'batch:32' }]);
    expect(defaultRows(false).map((r) => r.name)).not.toContain('napi');
  });
});

describe('benchKernelPath', () => {
  it('returns packets/s and CPU ns/packet per row, and bypass over kernel', async () => {
    const r = await benchKernelPath({
      packets: 640,
      rows: [KERNEL_ROW, ABLATION_ROWS[1], BYPASS_ROW],
      profile: 'zero',
    });
    expect(r.rows.map((x) => x.name)).toEqual(['kernel', '-alloc', 'bypass']);
    for (const row of r.rows) {
      expect(row.packets).toBe(640);
      expect(row.drops).toBe(0);
      expect(row.pps).toBeGreaterThan(0);
      expect(row.ns_per_packet).toBeGreaterThan(0);
    }
    // batches of 64 and no NIC: NAPI's own-ring interrupt, a full poll then an empty one, and one
    // wake-up of the application per batch
    expect(r.rows[0].events_per_packet).toEqual({
      interrupt: 1 / 64,
      empty_poll: 1 / 64,
      alloc: 1,
      copy: 2,
      syscall: 1,
      context_switch: 1 / 64,
    });
    expect(r.rows[1].events_per_packet.alloc).toBeUndefined();
    expect(r.bypass_over_kernel!.pps).toBeGreaterThan(0);
  });
});
