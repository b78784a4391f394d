// The lb's control operations from the CLI against a running chain: list shares, refuse a change
// without the token, remove and drain backends and report what moved next to the ideal; the
// chain's accounting still closes.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vnflab, vnflabAsync } from './helpers/cli';
import { freePort, waitFor } from './helpers/ports';

const TOKEN = 'lb-cli-test-token';

test('vnflab lb list/remove/drain against a running chain', async () => {
  const port = await freePort();
  const env = { VNFLAB_CONTROL_TOKEN: TOKEN };
  const run = vnflabAsync(
    ['run', '--duration', '60', '--rate', '20000', '--flows', '3000', '--quiet', '--metrics-port', String(port)],
    { env },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('the control API', async () => ((await fetch(`${url}/lb/vips`)).ok ? true : undefined));
    // let flows get tracked
    await waitFor('tracked flows', async () => {
      const j = (await (await fetch(`${url}/lb/conntrack`)).json()) as { size?: number; entries?: number };
      return (j.size ?? j.entries ?? 0) > 1000 ? true : undefined;
    });
    const list = vnflab(['lb', 'list', '--url', url]);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/VIP web 10\.0\.0\.100:80 \(maglev\)/);
    for (const b of ['web-1', 'web-2', 'web-3']) expect(list.stdout).toContain(b);

    const refused = vnflab(['lb', 'remove', 'web-2', '--url', url], { env: { VNFLAB_CONTROL_TOKEN: '' } });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/changes need the control token/);
    const onCommandLine = vnflab(['lb', 'remove', 'web-2', '--url', url, '--token', TOKEN]);
    expect(onCommandLine.status).toBe(2);
    expect(onCommandLine.stderr).toMatch(
      /^vnflab: --token: a secret on the command line .* VNFLAB_CONTROL_TOKEN or use --token-file FILE\n$/,
    );
    const wrongFile = join(mkdtempSync(join(tmpdir(), 'vnflab-token-')), 'token');
    writeFileSync(wrongFile, 'nope\n', { mode: 0o600 });
    const wrong = vnflab(['lb', 'remove', 'web-2', '--url', url, '--token-file', wrongFile]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/401/);
    const missing = vnflab(['lb', 'remove', 'web-2', '--url', url, '--token-file', `${wrongFile}.absent`]);
    expect(missing.stderr).toMatch(/^vnflab: --token-file: cannot read .*token\.absent: ENOENT\n$/);

    const removed = vnflab(['lb', 'remove', 'web-2', '--url', url], { env: { VNFLAB_CONTROL_TOKEN: TOKEN } });
    expect(removed.status).toBe(0);
    // removing 1 of 3: a third of the table must move, and Maglev moves about that much
    const m = /table entries moved ([\d.]+) % \(ideal ([\d.]+) %/.exec(removed.stdout);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeCloseTo(33.33, 1);
    expect(Number(m![1])).toBeGreaterThanOrEqual(Number(m![2]) - 0.01);
    expect(Number(m![1])).toBeLessThan(Number(m![2]) + 2);
    expect(removed.stdout).toMatch(/tracked flows moved \d+ of \d+/);

    const drained = vnflab(['lb', 'drain', 'web-1', '--url', url, '--json'], { env: { VNFLAB_CONTROL_TOKEN: TOKEN } });
    expect(drained.status).toBe(0);
    expect(JSON.parse(drained.stdout).flows.moved).toBe(0); // drain keeps tracked flows where they are

    const unknown = vnflab(['lb', 'down', 'web-9', '--url', url], { env: { VNFLAB_CONTROL_TOKEN: TOKEN } });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/web-9/);
  } finally {
    run.child.kill('SIGINT');
  }
  const r = await run.done;
  expect(r.stdout).toContain('accounting closes');
  expect(r.status).toBe(0);
});
