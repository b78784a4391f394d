// The controller against a real Docker engine: it refuses what it must (a variant off the
// allowlist, a container without the project's labels, a request without the token) and
// changes nothing when it does; a second swap while one runs gets 409; a blue/green swap of a
// labelled container on a user-defined network replaces it and the old container is gone.

import { validateChain } from '@vnflab/core';
import { createRegistry } from '@vnflab/cli';
import { probe, startControllerServer, type RunningController, type SwapReport } from '@vnflab/controller';
import {
  FAKE_STAGE_JS,
  IDLE_JS,
  cleanup,
  dockerAvailable,
  runContainer,
  testDocker,
  uniquePrefix,
} from './helpers/docker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vnflab, vnflabAsync } from './helpers/cli';
import { freePort, waitFor } from './helpers/ports';

const HAVE_DOCKER = dockerAvailable();
if (!HAVE_DOCKER) console.warn('controller-docker: no Docker engine (or no vnflab/node-base image): skipped');
const d = HAVE_DOCKER ? describe : describe.skip;

const TOKEN = 'test-token-0123456789';

d('controller with a real Docker engine', () => {
  const docker = testDocker();
  const project = uniquePrefix('ctl');
  const network = `${project}_chain`;
  const labels = (variant: string): Record<string, string> => ({
    'com.docker.compose.project': project,
    'com.docker.compose.service': 'nic',
    'vnflab.stage': 'nic',
    'vnflab.variant': variant,
  });
  let ctl: RunningController;

  const post = (body: unknown, token: string | null = TOKEN): Promise<Response> =>
    fetch(`${ctl.url}/swap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  /** Every container of the test, by name: id, state, variant label: what "changing nothing" compares. */
  const snapshot = async (): Promise<string[]> =>
    (await docker.listContainers({ all: true }))
      .filter((c) => c.Names.some((n) => n.includes(project)))
      .map((c) => `${c.Names[0]} ${c.Id} ${c.State} ${c.Labels['vnflab.variant'] ?? '-'}`)
      .sort();

  beforeAll(async () => {
    await docker.createNetwork({ Name: network, Labels: { 'com.docker.compose.project': project } });
    await runContainer(docker, {
      name: `${project}-nic-1`,
      labels: labels('passthrough'),
      env: { VNFLAB_STAGE: 'nic', VNFLAB_VARIANT: 'passthrough', VNFLAB_PORT: '8080' },
      network,
      aliases: ['nic'],
      js: FAKE_STAGE_JS,
    });
    // a nic container of no project, and one of another project: never the controller's
    await runContainer(docker, {
      name: `${project}-stray`,
      labels: { 'vnflab.stage': 'nic', 'vnflab.variant': 'passthrough' },
      js: IDLE_JS,
    });
    await runContainer(docker, {
      name: `${project}-other`,
      labels: {
        'com.docker.compose.project': `${project}-other`,
        'vnflab.stage': 'nic',
        'vnflab.variant': 'passthrough',
      },
      js: IDLE_JS,
    });
    const registry = createRegistry();
    const chain = validateChain(
      {
        name: 'ctl-test',
        stages: [{ stage: 'traffic-gen' }, { stage: 'nic', variant: 'passthrough' }, { stage: 'backends' }],
        controller: { variants: { nic: { passthrough: {}, virtio: { env: { VNFLAB_TEST_NOTE: 'from-allowlist' } } } } },
      },
      registry,
    );
    ctl = await startControllerServer({
      docker,
      chain,
      chainSource: 'test chain',
      project,
      token: TOKEN,
      port: 0,
      host: '127.0.0.1',
      readyTimeoutMs: 30000,
      drainTimeoutS: 10,
    });
    await waitFor('the stage container ready', async () => {
      const info = await docker.getContainer(`${project}-nic-1`).inspect();
      const ip = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
      return ip && (await probe(`http://${ip}:8080/readyz`)).status === 200 ? true : undefined;
    });
  }, 60000);

  afterAll(async () => {
    await ctl?.close();
    await cleanup(docker, project, network);
  }, 60000);

  test("GET /chain lists the project's containers only, with the allowlist", async () => {
    const r = await fetch(`${ctl.url}/chain`);
    expect(r.status).toBe(200);
    const view = (await r.json()) as {
      project: string;
      stages: { stage: string; allowed_variants: string[]; variants: string[]; containers: { name: string }[] }[];
    };
    expect(view.project).toBe(project);
    const nic = view.stages.find((s) => s.stage === 'nic')!;
    expect(nic.allowed_variants).toEqual(['passthrough', 'virtio']);
    expect(nic.variants).toEqual(['passthrough']);
    expect(nic.containers.map((c) => c.name)).toEqual([`${project}-nic-1`]);
  });

  test('refuses a request without the token, or with a wrong one, changing nothing', async () => {
    const before = await snapshot();
    const none = await post({ stage: 'nic', variant: 'virtio' }, null);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toMatch(/authorization: Bearer/);
    const wrong = await post({ stage: 'nic', variant: 'virtio' }, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });

  test('refuses a variant that is not on the allowlist, changing nothing', async () => {
    const before = await snapshot();
    const r = await post({ stage: 'nic', variant: 'emulated' });
    expect(r.status).toBe(403);
    const j = (await r.json()) as { error: string; message: string };
    expect(j.error).toBe('not_allowed');
    expect(j.message).toMatch(/"emulated".*allowlist.*passthrough, virtio/);
    const s = await post({ stage: 'lb', variant: 'maglev' });
    expect(s.status).toBe(403);
    expect(((await s.json()) as { message: string }).message).toMatch(
      /stage "lb" is not on the controller's allowlist/,
    );
    expect(await snapshot()).toEqual(before);
  });

  test("refuses containers without the project's labels, changing nothing", async () => {
    const before = await snapshot();
    for (const name of [`${project}-stray`, `${project}-other`]) {
      const r = await post({ stage: 'nic', variant: 'virtio', container: name });
      expect(r.status).toBe(403);
      const j = (await r.json()) as { error: string; message: string };
      expect(j.error).toBe('not_managed');
      expect(j.message).toContain(`com.docker.compose.project=${project}`);
    }
    expect(await snapshot()).toEqual(before);
  });

  test('bad requests say what was wrong', async () => {
    const r = await post({ stage: 'nic', variant: 'virtio', colour: 'blue' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toMatch(/body\.colour: unknown key/);
    const m = await post({ stage: 'nic' });
    expect(m.status).toBe(400);
    expect(((await m.json()) as { message: string }).message).toMatch(/variant/);
    const nf = await fetch(`${ctl.url}/docker/containers/json`);
    expect(nf.status).toBe(404);
  });

  test('a blue/green swap replaces the container; a second swap meanwhile gets 409', async () => {
    const oldInfo = await docker.getContainer(`${project}-nic-1`).inspect();
    const first = post({ stage: 'nic', variant: 'virtio' });
    await waitFor(
      'the swap to start',
      async () =>
        ((await (await fetch(`${ctl.url}/chain`)).json()) as { swap_in_progress: unknown }).swap_in_progress
          ? true
          : undefined,
      20000,
      20,
    );
    const second = await post({ stage: 'nic', variant: 'passthrough' });
    expect(second.status).toBe(409);
    expect(((await second.json()) as { message: string }).message).toMatch(/a swap of nic to virtio is in progress/);

    const res = await first;
    const report = (await res.json()) as SwapReport;
    expect(res.status).toBe(200);
    expect(report.replicas).toHaveLength(1);
    const r = report.replicas[0];
    expect(r.old.id).toBe(oldInfo.Id);
    expect(r.drain.graceful).toBe(true);
    expect(r.drain.exit_code).toBe(0);
    expect(r.accounting.old_before_drain?.packets_in).toBeGreaterThan(0);
    expect(r.accounting.new_after?.variant).toBe('virtio');
    // the old container is gone
    await expect(docker.getContainer(oldInfo.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // the new one runs the variant with the old one's stage, labels, network and alias
    const nu = await docker.getContainer(r.new.id).inspect();
    expect(nu.State.Running).toBe(true);
    expect(nu.Config.Labels['vnflab.variant']).toBe('virtio');
    expect(nu.Config.Labels['com.docker.compose.project']).toBe(project);
    expect(nu.Config.Env).toEqual(
      expect.arrayContaining(['VNFLAB_STAGE=nic', 'VNFLAB_VARIANT=virtio', 'VNFLAB_TEST_NOTE=from-allowlist']),
    );
    expect(Object.keys(nu.NetworkSettings.Networks)).toEqual([network]);
    expect(nu.NetworkSettings.Networks[network].Aliases).toContain('nic');
    const view = (await (await fetch(`${ctl.url}/chain`)).json()) as {
      stages: { stage: string; variants: string[] }[];
      last_swap: SwapReport;
    };
    expect(view.stages.find((s) => s.stage === 'nic')!.variants).toEqual(['virtio']);
    expect(view.last_swap.variant).toBe('virtio');
    // the refused containers were never touched
    expect((await docker.getContainer(`${project}-stray`).inspect()).State.Running).toBe(true);
    const metrics = await (await fetch(`${ctl.url}/metrics`)).text();
    expect(metrics).toMatch(/vnflab_controller_swaps_total\{stage="nic",variant="virtio",result="ok"\} 1/);
  }, 90000);

  test('`vnflab serve` with VNFLAB_STAGE=controller serves it; `vnflab swap` is its client', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnflab-ctl-'));
    const config = join(dir, 'chain.yaml');
    writeFileSync(
      config,
      'name: ctl-test\nstages:\n  - stage: traffic-gen\n  - stage: nic\n  - stage: backends\ncontroller:\n  variants:\n    nic: { passthrough: {}, virtio: {} }\n',
    );
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const serve = vnflabAsync(['serve'], {
      env: {
        VNFLAB_STAGE: 'controller',
        VNFLAB_COMPOSE_PROJECT: project,
        VNFLAB_PORT: String(port),
        VNFLAB_HOST: '127.0.0.1',
        VNFLAB_CONFIG: config,
        VNFLAB_CONTROL_TOKEN: TOKEN,
      },
    });
    try {
      await waitFor('the controller to answer', async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined));
      const noToken = vnflab(['swap', 'nic', 'passthrough', '--url', url], { env: { VNFLAB_CONTROL_TOKEN: '' } });
      expect(noToken.status).toBe(2);
      expect(noToken.stderr).toMatch(
        /^vnflab: swap: a swap needs the control token \(VNFLAB_CONTROL_TOKEN or --token-file FILE\)\n$/,
      );
      const refused = vnflab(['swap', 'nic', 'emulated', '--url', url], { env: { VNFLAB_CONTROL_TOKEN: TOKEN } });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(
        /^vnflab: swap: POST \/swap: 403 variant "emulated" of nic is not on the controller's allowlist/,
      );
      const ok = vnflab(['swap', 'nic', 'passthrough', '--url', url], { env: { VNFLAB_CONTROL_TOKEN: TOKEN } });
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(ok.stdout).toMatch(/^swapped nic to passthrough in [\d.]+ s \(project vnflab/);
      expect(ok.stdout).toMatch(
        /-> vnflabt-ctl-.*-nic-passthrough-[0-9a-f]{6}: ready in .* old one drained in .* \(exit 0\)/,
      );
      const again = vnflab(['swap', 'nic', 'passthrough', '--url', url], { env: { VNFLAB_CONTROL_TOKEN: TOKEN } });
      expect(again.stdout).toMatch(/nic already runs passthrough .*: nothing swapped/);
      const running = (
        await docker.listContainers({
          filters: { label: [`com.docker.compose.project=${project}`, 'vnflab.stage=nic'] },
        })
      ).map((c) => c.Labels['vnflab.variant']);
      expect(running).toEqual(['passthrough']);
      const down = vnflab(['swap', 'nic', 'virtio', '--url', 'http://127.0.0.1:1'], {
        env: { VNFLAB_CONTROL_TOKEN: TOKEN },
      });
      expect(down.status).toBe(1);
      expect(down.stderr).toMatch(/cannot reach the controller at http:\/\/127.0.0.1:1/);
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect((await serve.done).status).toBe(0);
  }, 90000);
});
