// `vnflab profiles`: the list, each constant with its source, and the flags' usage errors.

import { COST_NAMES, listProfiles } from '@vnflab/core';
import { vnflab } from './helpers/cli';

describe('vnflab profiles', () => {
  test('lists the profiles, one a line, the measured one too when this machine has it', () => {
    const r = vnflab(['profiles']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout.trim().split('\n')).toEqual(listProfiles());
    expect(r.stdout).toMatch(/^linux-3\.10-xeon$/m);
  });

  test('--sources shows every constant of every profile with its kind and citation, method or formula', () => {
    const r = vnflab(['profiles', '--sources']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('  '));
    expect(rows).toHaveLength(listProfiles().length * COST_NAMES.length);
    for (const row of rows)
      expect(row).toMatch(/^ {2}[a-z_]+ +\d+ ns {2}(paper|measured|derived|estimate \(unconfirmed\)|off): \S/);
    expect(r.stdout).toMatch(
      /^ {2}vm_exit +700 ns {2}paper: Landau, Ben-Yehuda, Gordon\. SplitX: .*USENIX WIOV 2011, §1 Introduction and Table 1/m,
    );
    expect(r.stdout).toMatch(
      /^ {2}irq_entry +1130 ns {2}derived: linux-3\.10-xeon\.irq_entry \+ syscall - linux-3\.10-xeon\.syscall$/m,
    );
  });

  test('flag mistakes are one line and exit 2', () => {
    for (const [args, msg] of [
      [['profiles', '--sources', '--measure'], 'vnflab: --sources and --measure do not go together\n'],
      [['profiles', '--runs', '3'], 'vnflab: --runs goes with --measure\n'],
      [['profiles', '--measure', '--runs', '0'], 'vnflab: --runs: "0" is not a whole number 1..101\n'],
    ] as const) {
      const r = vnflab([...args]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: msg });
    }
  });
});
