// Every committed dashboard fits Grafana's published dashboard schema: the `Dashboard` type of
// @grafana/schema, checked by the TypeScript compiler (test/helpers/dashboard-schema.ts).

import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli';
import { dashboardSchemaErrors } from './helpers/dashboard-schema';

const DASH_DIR = join(ROOT, 'dashboards');
const FILES = readdirSync(DASH_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => join(DASH_DIR, f));

test('every committed dashboard type-checks against the Dashboard type of @grafana/schema', () => {
  expect(FILES.length).toBeGreaterThanOrEqual(5);
  expect(dashboardSchemaErrors(FILES)).toEqual([]);
}, 60000);

test('a dashboard that breaks the schema is reported with its file and field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vnflab-dash-schema-'));
  const gridPos = join(dir, 'bad-gridpos.json');
  writeFileSync(
    gridPos,
    JSON.stringify(
      {
        title: 'bad',
        panels: [
          { type: 'timeseries', title: 'ok' },
          { type: 'stat', title: 'p', gridPos: 'x' },
        ],
      },
      null,
      2,
    ),
  );
  const panels = join(dir, 'bad-panels.json');
  writeFileSync(panels, JSON.stringify({ title: 'bad', panels: {} }, null, 2));
  // a committed dashboard with one variable key misspelt: the `definition` allowance is that key only
  const cpu = JSON.parse(readFileSync(join(DASH_DIR, 'vnflab-cpu.json'), 'utf8')) as {
    templating: { list: Record<string, unknown>[] };
  };
  const v = cpu.templating.list[0];
  v.definiton = v.definition;
  delete v.definition;
  const misspelt = join(dir, 'bad-variable.json');
  writeFileSync(misspelt, JSON.stringify(cpu, null, 2));

  const errors = dashboardSchemaErrors([FILES[0], gridPos, panels, misspelt]);
  expect(errors).toHaveLength(3);
  // the second panel's gridPos, on its line in the file
  expect(errors[0]).toMatch(/^.*bad-gridpos\.json:\d+:\d+ panels\[1\]\.gridPos: .*GridPos/);
  expect(errors[0]).toContain(`${gridPos}:11:7 `);
  expect(errors[1]).toMatch(/^.*bad-panels\.json:3:\d+ panels: /);
  expect(errors[2]).toMatch(
    /^.*bad-variable\.json:\d+:\d+ templating\.list\[0\]\.definiton: .*'"definiton"' does not exist/,
  );
}, 60000);
