// The controller on a Docker Swarm: a stage is a service of a stack (`<stack>_<stage>`, labelled
// com.docker.stack.namespace=<stack> by `docker stack deploy`), not a container. A swap is what
// `docker service update --env-add VNFLAB_VARIANT=<v> --update-order start-first` does, through
// the Engine API with the spec's version (a concurrent change makes Docker refuse it): Swarm
// starts the new task, waits for its healthcheck, then stops the old one, which drains on
// SIGTERM. The swap returns when the update has converged (or fails when Swarm rolled it back).

import type Docker from 'dockerode';
import type { ControllerVariant, Logger } from '@vnflab/core';
import { ControllerError } from './errors';
import { LABEL_STAGE, LABEL_VARIANT } from './labels';

export const LABEL_STACK = 'com.docker.stack.namespace';
export const LABEL_SWARM_SERVICE = 'com.docker.swarm.service.name';

export interface SwarmServiceView {
  id: string;
  name: string;
  stage: string;
  variant: string | null;
  replicas: number | null;
  running_tasks: number;
}

export interface SwarmSwapReport {
  service: string;
  old_variant: string | null;
  /** Running task ids before the update and after it converged (start-first: all new). */
  tasks_before: string[];
  tasks_after: string[];
  /** From the update request to Swarm reporting it completed with every task running. */
  converged_ms: number;
  /** The old tasks' containers' exit codes once stopped (0: drained gracefully on SIGTERM; null: unknown). */
  old_exit_codes: (number | null)[];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the Engine API's service spec, changed in place */
type ServiceSpec = any;

const envValue = (env: string[] | undefined, name: string): string | null => {
  const e = (env ?? []).find((x) => x.startsWith(`${name}=`));
  return e ? e.slice(name.length + 1) : null;
};
const setEnv = (env: string[], name: string, value: string): string[] => [
  ...env.filter((e) => !e.startsWith(`${name}=`)),
  `${name}=${value}`,
];

export class SwarmBackend {
  constructor(
    readonly docker: Docker,
    readonly stack: string,
    private readonly log: Logger,
  ) {}

  serviceName(stage: string): string {
    return `${this.stack}_${stage}`;
  }

  /** The stage's service, only if it belongs to this stack. */
  async inspect(stage: string): Promise<{ id: string; info: ServiceSpec }> {
    const name = this.serviceName(stage);
    const found = await this.docker.listServices({
      filters: { name: [name], label: [`${LABEL_STACK}=${this.stack}`] },
    });
    const svc = found.find((s) => s.Spec?.Name === name);
    if (!svc?.ID)
      throw new ControllerError(
        404,
        'no_service',
        `no service ${name} in stack ${this.stack} (the controller looks for ${LABEL_STACK}=${this.stack})`,
      );
    return { id: svc.ID, info: await this.docker.getService(svc.ID).inspect() };
  }

  /** Ids of the service's tasks that run and are meant to. */
  async runningTasks(serviceId: string): Promise<string[]> {
    const tasks = await this.docker.listTasks({ filters: { service: [serviceId], 'desired-state': ['running'] } });
    return tasks.filter((t) => t.Status?.State === 'running').map((t) => t.ID as string);
  }

  async view(stage: string): Promise<SwarmServiceView | null> {
    try {
      const { id, info } = await this.inspect(stage);
      return {
        id,
        name: info.Spec.Name,
        stage,
        variant: envValue(info.Spec.TaskTemplate?.ContainerSpec?.Env, 'VNFLAB_VARIANT'),
        replicas: info.Spec.Mode?.Replicated?.Replicas ?? null,
        running_tasks: (await this.runningTasks(id)).length,
      };
    } catch (e) {
      if (e instanceof ControllerError && e.status === 404) return null;
      throw e;
    }
  }

  /** The variant the service runs now, or null when its environment names none (the image's default). */
  async variantOf(stage: string): Promise<string | null> {
    const { info } = await this.inspect(stage);
    return envValue(info.Spec.TaskTemplate?.ContainerSpec?.Env, 'VNFLAB_VARIANT');
  }

  /** `docker service update --env-add VNFLAB_VARIANT=<v> --update-order start-first`, until it converges. */
  async swap(
    stage: string,
    variant: string,
    spec: ControllerVariant,
    o: { timeoutMs: number; pollMs?: number },
  ): Promise<SwarmSwapReport> {
    const { id, info } = await this.inspect(stage);
    const next: ServiceSpec = structuredClone(info.Spec);
    const cs = next.TaskTemplate.ContainerSpec;
    const oldVariant = envValue(cs.Env, 'VNFLAB_VARIANT');
    let env: string[] = cs.Env ?? [];
    env = setEnv(env, 'VNFLAB_VARIANT', variant);
    for (const [k, v] of Object.entries(spec.env)) env = setEnv(env, k, v);
    cs.Env = env;
    if (spec.image) cs.Image = spec.image;
    next.Labels = { ...next.Labels, [LABEL_STAGE]: next.Labels?.[LABEL_STAGE] ?? stage, [LABEL_VARIANT]: variant };
    next.UpdateConfig = { ...next.UpdateConfig, Order: 'start-first' };
    const before = await this.runningTasks(id);
    const t0 = performance.now();
    this.log.info({ service: info.Spec.Name, from: oldVariant, to: variant }, 'swarm: service update (start-first)');
    try {
      await this.docker.getService(id).update({ _query: { version: info.Version.Index }, _body: next } as never);
    } catch (e) {
      throw new ControllerError(
        /out of sequence|update out of/i.test((e as Error).message) ? 409 : 502,
        'update_refused',
        `Docker refused the update of ${info.Spec.Name}: ${(e as Error).message}`,
      );
    }
    const replicas: number = next.Mode?.Replicated?.Replicas ?? 1;
    const after = await this.converged(id, info.Spec.Name, replicas, o.timeoutMs, o.pollMs ?? 500);
    const old = before.filter((t) => !after.includes(t));
    const report = {
      service: info.Spec.Name,
      old_variant: oldVariant,
      tasks_before: before,
      tasks_after: after,
      converged_ms: performance.now() - t0,
      old_exit_codes: await this.exitCodes(old, o.timeoutMs, o.pollMs ?? 500),
    };
    this.log.info(report, 'swarm: update converged');
    return report;
  }

  /** Exit codes of tasks once their containers have stopped (null for one that did not say in time). */
  private async exitCodes(taskIds: string[], timeoutMs: number, pollMs: number): Promise<(number | null)[]> {
    const until = Date.now() + timeoutMs;
    const out: (number | null)[] = [];
    for (const t of taskIds) {
      let code: number | null = null;
      for (;;) {
        const task = (await this.docker.listTasks({ filters: { id: [t] } }))[0];
        const st = task?.Status;
        if (!task || /complete|shutdown|failed|rejected|orphaned|remove/.test(st?.State ?? '')) {
          code = st?.ContainerStatus?.ExitCode ?? null;
          if (code !== null || !task) break;
        }
        if (Date.now() > until) break;
        await new Promise((r) => setTimeout(r, pollMs));
      }
      out.push(code);
    }
    return out;
  }

  /** `docker service scale`: sets the replica count (the spec's version guards a concurrent change). */
  async scale(stage: string, replicas: number): Promise<void> {
    const { id, info } = await this.inspect(stage);
    const next: ServiceSpec = structuredClone(info.Spec);
    if (!next.Mode?.Replicated) throw new ControllerError(409, 'not_replicated', `${info.Spec.Name} is not replicated`);
    next.Mode.Replicated.Replicas = replicas;
    await this.docker.getService(id).update({ _query: { version: info.Version.Index }, _body: next } as never);
  }

  /**
   * Waits for Swarm to report the update completed (it clears the status when a spec changes, so a
   * "completed" seen here is this update's) and every replica running; a rollback or a pause fails.
   */
  private async converged(
    id: string,
    name: string,
    replicas: number,
    timeoutMs: number,
    pollMs: number,
  ): Promise<string[]> {
    const until = Date.now() + timeoutMs;
    let state = 'not started';
    for (;;) {
      const info = await this.docker.getService(id).inspect();
      state = info.UpdateStatus?.State ?? 'not started';
      if (/rollback|paused/.test(state))
        throw new ControllerError(
          502,
          'update_failed',
          `Swarm did not complete the update of ${name}: ${state} (${info.UpdateStatus?.Message ?? 'no message'})`,
        );
      if (state === 'completed') {
        const running = await this.runningTasks(id);
        if (running.length === replicas) return running;
      }
      if (Date.now() > until)
        throw new ControllerError(
          504,
          'update_timeout',
          `the update of ${name} did not converge in ${timeoutMs / 1e3} s (update state: ${state})`,
        );
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
