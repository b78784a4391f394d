// One blue/green swap of one container: start the new variant beside the old one (same
// networks, environment, consumer group and labels), wait until it is ready, then drain the old
// one (SIGTERM through `docker stop`: it finishes what it holds, acknowledges and exits) and
// remove it. Until the old container is told to stop, any failure removes the new one and
// leaves the old one exactly as it was.

import type Docker from 'dockerode';
import type { ControllerVariant, Logger } from '@vnflab/core';
import { containerUrl } from './container-address';
import { ControllerError } from './errors';
import { greenConfig, greenName } from './green-config';
import { LABEL_VARIANT } from './labels';
import { waitReady, type ReadyResult } from './readiness';
import { readCounters, type StageCounters } from './stats-probe';

export interface BlueGreenOptions {
  readyTimeoutMs: number;
  /** Seconds the old container has to drain before Docker kills it. */
  drainTimeoutS: number;
  /** The controller's own networks, to reach containers by an address it can route to. */
  networks?: string[];
  log: Logger;
}

export interface ContainerRef {
  id: string;
  name: string;
  variant: string;
}

export interface ReplicaSwapReport {
  old: ContainerRef;
  new: ContainerRef;
  ready: ReadyResult;
  drain: { ms: number; exit_code: number; graceful: boolean };
  /** From the start of the swap to the old container removed. */
  duration_ms: number;
  /** The stage's counters from /stats: the old container before and during its drain, the new one after. */
  accounting: {
    old_before_drain: StageCounters | null;
    old_last_seen: StageCounters | null;
    new_after: StageCounters | null;
  };
}

const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;
const shortName = (n: string): string => n.replace(/^\//, '');

async function removeQuietly(c: Docker.Container): Promise<void> {
  try {
    await c.remove({ force: true, v: true });
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
}

export async function blueGreenSwap(
  docker: Docker,
  old: Docker.ContainerInspectInfo,
  variant: string,
  spec: ControllerVariant,
  o: BlueGreenOptions,
): Promise<ReplicaSwapReport> {
  const t0 = performance.now();
  const oldRef: ContainerRef = {
    id: old.Id,
    name: shortName(old.Name),
    variant: old.Config.Labels?.[LABEL_VARIANT] ?? '',
  };
  const oldImageEnv =
    spec.image && spec.image !== old.Config.Image
      ? (
          await docker
            .getImage(old.Config.Image)
            .inspect()
            .catch(() => null)
        )?.Config?.Env
      : undefined;
  const plan = greenConfig(old, { variant, spec, name: greenName(old, variant), oldImageEnv });

  let green: Docker.Container;
  try {
    green = await docker.createContainer(plan.create);
  } catch (e) {
    throw new ControllerError(
      502,
      'create_failed',
      `cannot create the ${variant} container from ${plan.create.Image}: ${(e as Error).message}`,
    );
  }
  let ready: ReadyResult;
  try {
    for (const n of plan.extraNetworks)
      await docker
        .getNetwork(n.name)
        .connect({ Container: green.id, EndpointConfig: n.aliases.length ? { Aliases: n.aliases } : {} });
    await green.start();
    o.log.info(
      { old: oldRef.name, new: plan.create.name, variant },
      'swap: new container started, waiting until it is ready',
    );
    ready = await waitReady(docker, green.id, { timeoutMs: o.readyTimeoutMs, networks: o.networks });
  } catch (e) {
    // the old container never noticed: take the new one away again
    await removeQuietly(green);
    if (e instanceof ControllerError) throw e;
    throw new ControllerError(502, 'start_failed', `the ${variant} container did not start: ${(e as Error).message}`);
  }

  const oldUrl = containerUrl(old, o.networks);
  const before = oldUrl ? await readCounters(oldUrl) : null;
  let lastSeen = before;
  // drain: docker stop sends the stop signal (SIGTERM), waits, kills only after the timeout
  const d0 = performance.now();
  const blue = docker.getContainer(old.Id);
  let stopped = false;
  const stopping = blue
    .stop({ t: o.drainTimeoutS })
    .then(
      () => undefined,
      (e: unknown) => {
        if (statusOf(e) !== 304) throw e; // 304: it had already stopped
      },
    )
    .finally(() => (stopped = true));
  while (!stopped && oldUrl) {
    const c = await readCounters(oldUrl, 500);
    if (c) lastSeen = c;
    if (!stopped) await new Promise((r) => setTimeout(r, 100));
  }
  try {
    await stopping;
  } catch (e) {
    throw new ControllerError(
      502,
      'drain_failed',
      `the ${variant} container ${plan.create.name} is running, but the old container ${oldRef.name} could not be stopped: ${(e as Error).message}`,
    );
  }
  const drainMs = performance.now() - d0;
  const exited = await blue.inspect().catch(() => null);
  const exitCode = exited?.State.ExitCode ?? -1;
  await removeQuietly(blue);
  const duration = performance.now() - t0;

  const greenInfo = await green.inspect();
  const greenUrl = containerUrl(greenInfo, o.networks);
  const after = greenUrl ? await readCounters(greenUrl) : null;
  const report: ReplicaSwapReport = {
    old: oldRef,
    new: { id: green.id, name: shortName(greenInfo.Name), variant },
    ready,
    drain: { ms: drainMs, exit_code: exitCode, graceful: exitCode === 0 },
    duration_ms: duration,
    accounting: { old_before_drain: before, old_last_seen: lastSeen, new_after: after },
  };
  o.log.info(
    { old: oldRef.name, new: report.new.name, duration_ms: Math.round(duration), exit_code: exitCode },
    'swap: old container drained and removed',
  );
  return report;
}
