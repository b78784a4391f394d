import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OS_COSTS_BIN,
  OS_COSTS_DIR,
  PROFILE_DIR,
  loadProfile,
  measureOsCosts,
  measuredProfile,
  parseOsCosts,
  writeMeasuredProfile,
  type OsCosts,
} from '@vnflab/core';

// No timed assertions: the figures differ per machine and under load; only what holds anywhere
// (positive, finite, a context switch dearer than a null system call) is checked.
describe('os-costs: the native helper and the measured profile', () => {
  let dir: string;
  let measured: OsCosts;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vnflab-os-costs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the helper builds warning-free with cc, and the install hook leaves it where the CLI looks', () => {
    const out = join(dir, 'os-costs');
    const cc = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(OS_COSTS_DIR, 'os-costs.c')], {
      encoding: 'utf8',
    });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const hook = spawnSync(process.execPath, [join(OS_COSTS_DIR, 'build.js')], { encoding: 'utf8' });
    expect({ status: hook.status, stderr: hook.stderr, built: existsSync(OS_COSTS_BIN) }).toEqual({
      status: 0,
      stderr: '',
      built: true,
    });
    expect(
      JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')).scripts.prepare,
    ).toContain('node tools/os-costs/build.js');
  });

  test('its output parses: a null system call and a context switch, positive, the switch dearer', () => {
    measured = measureOsCosts({ bin: join(dir, 'os-costs'), runs: 3, syscalls: 20000, switches: 2000 });
    expect(measured.runs).toBe(3);
    expect(measured.null_syscall.calls_per_run).toBe(20000);
    expect(measured.context_switch.round_trips_per_run).toBe(2000);
    for (const v of [
      measured.null_syscall.ns,
      measured.context_switch.ns,
      measured.context_switch.round_trip_ns,
      measured.context_switch.pipe_alone_ns,
    ]) {
      expect(Number.isFinite(v) && v > 0).toBe(true);
    }
    expect(measured.context_switch.ns).toBeGreaterThan(measured.null_syscall.ns);
    // the switch is what the ping-pong costs beyond the same pipe work done without switching
    expect(measured.context_switch.ns).toBeCloseTo(
      (measured.context_switch.round_trip_ns - measured.context_switch.pipe_alone_ns) / 2,
      0,
    );
  });

  test('bad arguments and bad output are one-line errors naming what is wrong', () => {
    const r = spawnSync(join(dir, 'os-costs'), ['--runs', '0'], { encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({
      status: 2,
      stderr: 'os-costs: --runs must be an integer 1..101 (got "0")\n',
    });
    expect(() => measureOsCosts({ bin: join(dir, 'absent') })).toThrow(
      /the os-costs helper is not built .*node tools\/os-costs\/build\.js/,
    );
    expect(() => parseOsCosts('Null syscall: 67')).toThrow('os-costs: output is not JSON: Null syscall: 67');
    const good = {
      cpu: 0,
      runs: 3,
      null_syscall: { calls_per_run: 10, ns: 90 },
      context_switch: { round_trips_per_run: 10, round_trip_ns: 3000, pipe_alone_ns: 1000, ns: 1000 },
    };
    expect(parseOsCosts(JSON.stringify(good)).context_switch.ns).toBe(1000);
    expect(() => parseOsCosts(JSON.stringify({ ...good, null_syscall: { calls_per_run: 10 } }))).toThrow(
      'os-costs: null_syscall.ns is missing or not a number',
    );
    expect(() =>
      parseOsCosts(JSON.stringify({ ...good, context_switch: { ...good.context_switch, ns: -40 } })),
    ).toThrow('os-costs: context_switch.ns is -40, not positive');
  });

  test('the measured profile loads as --profile measured would, its two constants citing the method, the rest the base profile', () => {
    copyFileSync(join(PROFILE_DIR, 'linux-3.10-xeon.json'), join(dir, 'linux-3.10-xeon.json'));
    const base = loadProfile('linux-3.10-xeon', dir);
    const file = writeMeasuredProfile(
      measuredProfile(measured, base, { machine: 'test box', date: '2026-01-02' }),
      dir,
    );
    expect(file).toBe(join(dir, 'measured.json'));
    const p = loadProfile('measured', dir);
    expect(p.costs.syscall.ns).toBe(Math.round(measured.null_syscall.ns));
    expect(p.costs.context_switch.ns).toBe(Math.round(measured.context_switch.ns));
    expect(p.costs.syscall.source).toEqual({
      kind: 'measured',
      machine: 'test box',
      tool: 'tools/os-costs/os-costs.c',
      date: '2026-01-02',
      method: expect.stringMatching(
        /^null system call: syscall\(SYS_getppid\) in a loop of 20000 calls, ns per call, median of 3 runs/,
      ),
    });
    expect(p.costs.context_switch.source).toMatchObject({
      kind: 'measured',
      method: expect.stringMatching(/two processes pinned to CPU \d+ ping-pong one byte over two pipes/),
    });
    for (const c of ['vm_exit', 'irq_entry', 'device_model', 'posted_interrupt'] as const) {
      expect(p.costs[c]).toEqual({
        ns: base.costs[c].ns,
        source: expect.objectContaining({ kind: 'derived', formula: `linux-3.10-xeon.${c}` }),
      });
    }
  });
});
