// Every PromQL expression in every dashboard and recording rule returns data from a real
// Prometheus scraping a running chain; the dashboard JSON is consistent; promtool accepts the
// Prometheus config and rules.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT, vnflabAsync } from './helpers/cli';
import { freePort, waitFor } from './helpers/ports';
import { startPrometheus, type RunningPrometheus } from './helpers/prometheus';

const DASH_DIR = join(ROOT, 'dashboards');
const RULES = join(ROOT, 'infra', 'prometheus', 'rules', 'vnflab.rules.yml');
const DS_UID = 'vnflab-prometheus';

interface Panel {
  id: number;
  title: string;
  datasource: { uid: string };
  targets: { expr: string; datasource: { uid: string } }[];
}
const dashboards = readdirSync(DASH_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({
    file: f,
    json: JSON.parse(readFileSync(join(DASH_DIR, f), 'utf8')) as {
      uid: string;
      title: string;
      panels: Panel[];
      templating: { list: Variable[] };
    },
  }));

/** A dashboard variable filled by `label_values(SELECTOR, LABEL)`, as a repeated panel uses it. */
interface Variable {
  name: string;
  definition: string;
}
const rules = (
  parseYaml(readFileSync(RULES, 'utf8')) as { groups: { rules: { record: string; expr: string }[] }[] }
).groups.flatMap((g) => g.rules);

describe('configuration', () => {
  test('promtool checks the Prometheus config and the rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnflab-promtool-'));
    // the compose config names the rules at their in-container path; check it with the repo's
    const cfg = readFileSync(join(ROOT, 'infra', 'prometheus', 'prometheus.yml'), 'utf8').replace(
      '/etc/prometheus/rules/*.yml',
      join(ROOT, 'infra', 'prometheus', 'rules', '*.yml'),
    );
    writeFileSync(join(dir, 'prometheus.yml'), cfg);
    const c = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
    expect(c.stdout + c.stderr).toMatch(/SUCCESS/);
    expect(c.status).toBe(0);
    const r = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  test('dashboards: unique uids, the provisioned datasource everywhere, panels in place', () => {
    const uids = dashboards.map((d) => d.json.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(dashboards.length).toBeGreaterThanOrEqual(5);
    const ds = readFileSync(join(ROOT, 'infra', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8');
    expect(ds).toContain(`uid: ${DS_UID}`);
    for (const d of dashboards) {
      const ids = d.json.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of d.json.panels) {
        expect(p.datasource.uid).toBe(DS_UID);
        expect(p.targets.length).toBeGreaterThan(0);
        for (const t of p.targets) expect(t.datasource.uid).toBe(DS_UID);
      }
    }
  });
});

describe('against a real Prometheus scraping a running chain', () => {
  let prom: RunningPrometheus;
  let run: ReturnType<typeof vnflabAsync>;
  let exported: Set<string>;

  beforeAll(async () => {
    const port = await freePort();
    // a small socket queue, so the drop panels have drops to show
    run = vnflabAsync([
      'run',
      '--config',
      join(ROOT, 'test', 'fixtures', 'observed.yaml'),
      '--duration',
      '300',
      '--rate',
      '20000',
      '--quiet',
      '--metrics-port',
      String(port),
    ]);
    const text = await waitFor('metrics', async () => {
      const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return t.includes('vnflab_lb_conntrack_hits_total') ? t : undefined;
    });
    exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    prom = await startPrometheus([`127.0.0.1:${port}`], `rule_files: ['${RULES}']`);
  }, 60000);

  afterAll(async () => {
    await prom?.stop();
    run?.child.kill('SIGINT');
    await run?.done;
  });

  test('no panel references a metric the project does not export', () => {
    const recorded = new Set(rules.map((r) => r.record));
    for (const d of dashboards) {
      for (const p of d.json.panels) {
        for (const t of p.targets) {
          for (const m of t.expr.matchAll(/\b(vnflab_[a-z0-9_]+|[a-z]+:vnflab_[a-z0-9_:]+)/g)) {
            const name = m[1].replace(/_(bucket|sum|count)$/, '');
            expect({
              panel: `${d.file}: ${p.title}`,
              metric: m[1],
              known: exported.has(name) || recorded.has(m[1]),
            }).toEqual({ panel: `${d.file}: ${p.title}`, metric: m[1], known: true });
          }
        }
      }
    }
  });

  /** The rules, variables and panel queries that return no data now. */
  async function emptyQueries(): Promise<string[]> {
    const empty: string[] = [];
    for (const r of rules) if ((await prom.query(r.record)).length === 0) empty.push(`rule ${r.record}`);
    for (const d of dashboards) {
      // a variable's values as Grafana finds them: the label's values on the selector's series
      const values = new Map<string, string[]>();
      for (const v of d.json.templating.list) {
        const m = /^label_values\((.+), (\w+)\)$/.exec(v.definition);
        if (!m) throw new Error(`${d.file}: variable ${v.name}: only label_values(SELECTOR, LABEL) is understood here`);
        const found = (await prom.query(`count by (${m[2]}) (${m[1]})`)).map((x) => x.metric[m[2]]);
        if (found.length === 0) empty.push(`${d.file}: variable ${v.name}: ${v.definition}`);
        values.set(v.name, found);
      }
      for (const p of d.json.panels) {
        for (const t of p.targets) {
          // a repeated panel: every value of its variable must return data
          const used = [...values.keys()].filter((k) => t.expr.includes(`$${k}`));
          const exprs = used.length
            ? used.flatMap((k) => values.get(k)!.map((v) => t.expr.split(`$${k}`).join(v)))
            : [t.expr];
          for (const expr of exprs) {
            const res = await prom.query(expr);
            if (res.length === 0 || res.every((x) => x.value[1] === 'NaN'))
              empty.push(`${d.file}: panel "${p.title}": ${expr}`);
          }
        }
      }
    }
    return empty;
  }

  test('every recording rule and every panel query returns data', async () => {
    // Rules over 30 s windows on recorded series fill in at different evaluations, later on a busy
    // machine: ask again until nothing is empty, and report what still is after two minutes.
    const deadline = Date.now() + 120000;
    let empty = await emptyQueries();
    while (empty.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2000));
      empty = await emptyQueries();
    }
    expect(empty).toEqual([]);
  }, 180000);
});
