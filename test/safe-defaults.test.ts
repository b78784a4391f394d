// Safe defaults in the files a user deploys, checked without Docker: every published port on
// loopback unless VNFLAB_BIND says otherwise, no fixed secret (token or Grafana's built-in admin
// login, whose password is "admin" until someone changes it).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/cli';

const COMPOSE = ['docker-compose.yml', 'docker-compose.offline.yml'];
const read = (f: string): string => readFileSync(join(ROOT, f), 'utf8');

/** The `environment` block of one service, as `KEY: value` lines. */
function serviceEnv(text: string, service: string): Record<string, string> {
  const block = new RegExp(`^  ${service}:\\n((?:    .*\\n|\\n)*)`, 'm').exec(text)?.[1] ?? '';
  const env = /^ {4}environment:\n((?: {6}.*\n)*)/m.exec(block)?.[1] ?? '';
  return Object.fromEntries([...env.matchAll(/^ {6}(\w+): "?([^"\n]*)"?$/gm)].map((m) => [m[1], m[2]]));
}

test('compose publishes every port on ${VNFLAB_BIND:-127.0.0.1}, and .env keeps it on loopback', () => {
  const ports = COMPOSE.flatMap((f) => [...read(f).matchAll(/^\s+ports:\s*(.*)$/gm)].map((m) => `${f}: ${m[1]}`));
  expect(ports.length).toBeGreaterThanOrEqual(3); // Grafana, Prometheus, the controller
  for (const p of ports) expect(p).toMatch(/: \["\$\{VNFLAB_BIND:-127\.0\.0\.1\}:\$\{\w+:-\d+\}:\d+"\]$/);
  expect(read('.env')).toMatch(/^VNFLAB_BIND=127\.0\.0\.1$/m);
});

test("Grafana's built-in admin login (a fixed password) is off wherever Grafana is deployed", () => {
  for (const f of ['docker-compose.yml', 'deploy/swarm/stack.yml']) {
    const env = serviceEnv(read(f), 'grafana');
    expect({ f, env: Object.keys(env).length > 0 }).toEqual({ f, env: true });
    expect({ f, form: env.GF_AUTH_DISABLE_LOGIN_FORM, basic: env.GF_AUTH_BASIC_ENABLED }).toEqual({
      f,
      form: 'true',
      basic: 'false',
    });
  }
});

test('no fixed control token in any tracked file', () => {
  // git grep exits 1 when nothing matches
  const r = spawnSync(
    'git',
    ['grep', '-n', '-i', '-I', '-e', 'change-me', '-e', 'changeme', '--', '.', ':!test/safe-defaults.test.ts'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  expect({ status: r.status, found: r.stdout }).toEqual({ status: 1, found: '' });
});
