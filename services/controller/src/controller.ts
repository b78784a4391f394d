// The controller: the chain as Docker sees it (containers found by label) and live swaps of a
// stage to an allowlisted variant, one at a time. Checks run before anything changes: the
// variant must be allowlisted, no other swap may run, and every container touched must carry
// the project's labels.

import type Docker from 'dockerode';
import { silentLogger, type ControllerVariant, type Logger, type ResolvedChain } from '@vnflab/core';
import { Allowlist } from './allowlist';
import { blueGreenSwap, type ReplicaSwapReport } from './blue-green';
import type { ControllerMetrics } from './controller-metrics';
import { listChainContainers, projectContainer, type StageContainer } from './discovery';
import { ControllerError } from './errors';
import { LABEL_PROJECT, LABEL_STAGE, LABEL_VARIANT } from './labels';
import { readStageStats, type StageStatsView } from './stage-stats';
import { relayTraffic, type TrafficRelayView } from './traffic-relay';
import { SwapLock, type SwapInProgress } from './swap-lock';
import { SwarmBackend, type SwarmServiceView, type SwarmSwapReport } from './swarm-backend';

export interface ControllerOptions {
  docker: Docker;
  /** The compose project whose containers this controller manages (on a Swarm: the stack). */
  project: string;
  /** On a Docker Swarm: stages are the services of the stack `project` (swarm-backend.ts). */
  swarm?: boolean;
  chain: ResolvedChain;
  /** Where the chain came from, for messages (e.g. chains/default.yaml). */
  chainSource?: string;
  readyTimeoutMs?: number;
  drainTimeoutS?: number;
  /** The controller's own networks when it runs in a container. */
  networks?: string[];
  log?: Logger;
  metrics?: ControllerMetrics;
}

export interface SwapRequest {
  stage: string;
  variant: string;
  /** One container (name or id) of the stage; default: every running container of it. */
  container?: string;
}

export interface SwapReport {
  project: string;
  stage: string;
  variant: string;
  started_at: string;
  finished_at: string;
  /** Start of the request to the last old container removed. */
  duration_ms: number;
  /** One entry per container replaced, in order (replicas are swapped one after another). */
  replicas: ReplicaSwapReport[];
  /** Containers already running the variant, left alone. */
  unchanged: string[];
  /** Packets the old containers had taken in when last seen, and the new ones right after. */
  accounting: { old_packets_in: number | null; new_packets_in: number | null; all_drained_gracefully: boolean };
  /** On a Swarm: the service updated (replicas then stays empty: Swarm replaced the tasks). */
  service?: SwarmSwapReport;
}

export interface ChainView {
  project: string;
  chain: string;
  swap_in_progress: SwapInProgress | null;
  last_swap: SwapReport | null;
  stages: {
    stage: string;
    name: string | null;
    variants: string[];
    allowed_variants: string[];
    containers: StageContainer[];
    /** On a Swarm: the stage's service. */
    service?: SwarmServiceView | null;
  }[];
}

export class Controller {
  readonly allowlist: Allowlist;
  readonly lock = new SwapLock();
  private last: SwapReport | null = null;
  private readonly log: Logger;
  private readonly swarm?: SwarmBackend;

  constructor(readonly o: ControllerOptions) {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(o.project))
      throw new Error(
        `"${o.project}" is not a ${o.swarm ? 'stack' : 'compose project'} name (lowercase letters, digits, '_' and '-')`,
      );
    this.allowlist = new Allowlist(o.chain, o.chainSource);
    this.log = o.log ?? silentLogger;
    if (o.swarm) this.swarm = new SwarmBackend(o.docker, o.project, this.log);
  }

  get project(): string {
    return this.o.project;
  }

  async ping(): Promise<boolean> {
    try {
      await this.o.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  async chainView(): Promise<ChainView> {
    if (this.swarm) return this.swarmView(this.swarm);
    const containers = await listChainContainers(this.o.docker, this.o.project);
    const seen = new Set<string>();
    const stages: ChainView['stages'] = this.o.chain.stages.map((s) => {
      const mine = containers.filter((c) => c.stage === s.name || c.stage === s.stage);
      mine.forEach((c) => seen.add(c.id));
      return {
        stage: s.stage,
        name: s.name,
        variants: [...new Set(mine.filter((c) => c.state === 'running').map((c) => c.variant))],
        allowed_variants: this.allowedFor(s.name, s.stage),
        containers: mine,
      };
    });
    // the controller itself, and stages the chain file does not name
    for (const c of containers) {
      if (seen.has(c.id)) continue;
      let st = stages.find((x) => x.name === null && x.stage === c.stage);
      if (!st)
        stages.push(
          (st = {
            stage: c.stage,
            name: null,
            variants: [],
            allowed_variants: this.allowedFor(c.stage, c.stage),
            containers: [],
          }),
        );
      st.containers.push(c);
      if (c.state === 'running' && !st.variants.includes(c.variant)) st.variants.push(c.variant);
    }
    return {
      project: this.o.project,
      chain: this.o.chain.name,
      swap_in_progress: this.lock.held,
      last_swap: this.last,
      stages,
    };
  }

  private async swarmView(swarm: SwarmBackend): Promise<ChainView> {
    const stages: ChainView['stages'] = [];
    for (const s of this.o.chain.stages) {
      const service = await swarm.view(s.name);
      stages.push({
        stage: s.stage,
        name: s.name,
        variants: service?.variant ? [service.variant] : [],
        allowed_variants: this.allowedFor(s.name, s.stage),
        containers: [],
        service,
      });
    }
    return {
      project: this.o.project,
      chain: this.o.chain.name,
      swap_in_progress: this.lock.held,
      last_swap: this.last,
      stages,
    };
  }

  /** The running containers of a stage answer their /stats (the project's only). */
  stageStats(stage: string): Promise<StageStatsView> {
    if (this.swarm)
      throw new ControllerError(
        501,
        'not_on_swarm',
        `GET /stats/${stage} reads compose containers; on a Swarm read each task's /stats on the overlay network (docker service ps ${this.swarm.serviceName(stage)})`,
      );
    return readStageStats(this.o.docker, this.o.project, stage, this.o.networks ?? []);
  }

  /** The generator's /traffic (GET), or a change to it (PUT, with the token the caller showed). */
  traffic(change?: { body: unknown; token: string }): Promise<TrafficRelayView> {
    return relayTraffic(this.o.docker, this.o.project, this.o.chain.stages[0].stage, this.o.networks ?? [], change);
  }

  private allowedFor(name: string, type: string): string[] {
    const a = this.allowlist.variantsOf(name);
    return a.length ? a : this.allowlist.variantsOf(type);
  }

  async swap(req: SwapRequest): Promise<SwapReport> {
    const m = this.o.metrics;
    const count = (result: string): void => m?.swaps.inc({ stage: req.stage, variant: req.variant, result });
    let spec;
    try {
      spec = this.allowlist.resolve(req.stage, req.variant);
      this.lock.acquire(req.stage, req.variant);
    } catch (e) {
      count('refused');
      throw e;
    }
    m?.inProgress.set(1);
    const t0 = performance.now();
    const started = new Date().toISOString();
    try {
      if (this.swarm) {
        const report = await this.swarmSwap(this.swarm, req, spec, t0, started);
        this.last = report;
        count('ok');
        if (report.service) m?.duration.observe({ stage: req.stage, variant: req.variant }, report.duration_ms / 1e3);
        return report;
      }
      const targets = await this.targets(req);
      const replicas: ReplicaSwapReport[] = [];
      const unchanged: string[] = [];
      for (const t of targets) {
        if (t.Config.Labels?.[LABEL_VARIANT] === req.variant) {
          unchanged.push(t.Name.replace(/^\//, ''));
          continue;
        }
        replicas.push(
          await blueGreenSwap(this.o.docker, t, req.variant, spec, {
            readyTimeoutMs: this.o.readyTimeoutMs ?? 60000,
            drainTimeoutS: this.o.drainTimeoutS ?? 30,
            networks: this.o.networks,
            log: this.log,
          }),
        );
      }
      const sum = (f: (r: ReplicaSwapReport) => number | undefined): number | null =>
        replicas.length && replicas.every((r) => f(r) !== undefined) ? replicas.reduce((a, r) => a + f(r)!, 0) : null;
      const report: SwapReport = {
        project: this.o.project,
        stage: req.stage,
        variant: req.variant,
        started_at: started,
        finished_at: new Date().toISOString(),
        duration_ms: performance.now() - t0,
        replicas,
        unchanged,
        accounting: {
          old_packets_in: sum((r) => r.accounting.old_last_seen?.packets_in),
          new_packets_in: sum((r) => r.accounting.new_after?.packets_in),
          all_drained_gracefully: replicas.every((r) => r.drain.graceful),
        },
      };
      this.last = report;
      count('ok');
      if (replicas.length) m?.duration.observe({ stage: req.stage, variant: req.variant }, report.duration_ms / 1e3);
      return report;
    } catch (e) {
      count(e instanceof ControllerError && e.status < 500 ? 'refused' : 'failed');
      throw e;
    } finally {
      this.lock.release();
      m?.inProgress.set(0);
    }
  }

  /** A swap on a Swarm: the stage's service updated start-first, unless it runs the variant already. */
  private async swarmSwap(
    swarm: SwarmBackend,
    req: SwapRequest,
    spec: ControllerVariant,
    t0: number,
    started: string,
  ): Promise<SwapReport> {
    if (req.container)
      throw new ControllerError(
        400,
        'not_on_swarm',
        'on a Swarm the controller updates a whole service; "container" cannot name one task',
      );
    const current = await swarm.variantOf(req.stage);
    const service =
      current === req.variant
        ? undefined
        : await swarm.swap(req.stage, req.variant, spec, { timeoutMs: this.o.readyTimeoutMs ?? 60000 });
    return {
      project: this.o.project,
      stage: req.stage,
      variant: req.variant,
      started_at: started,
      finished_at: new Date().toISOString(),
      duration_ms: performance.now() - t0,
      replicas: [],
      unchanged: service ? [] : [swarm.serviceName(req.stage)],
      // the old tasks drain on SIGTERM (their stop grace period); their counts live in the ledgers
      accounting: {
        old_packets_in: null,
        new_packets_in: null,
        all_drained_gracefully: service ? service.old_exit_codes.every((c) => c === 0) : true,
      },
      service,
    };
  }

  /** The running containers a swap replaces; only the project's, only the stage's. */
  private async targets(req: SwapRequest): Promise<Docker.ContainerInspectInfo[]> {
    const { docker, project } = this.o;
    if (req.container) {
      const info = await projectContainer(docker, project, req.stage, req.container);
      if (!info.State.Running)
        throw new ControllerError(
          409,
          'not_running',
          `container "${req.container}" is not running (${info.State.Status}); only running containers are swapped`,
        );
      return [info];
    }
    const running = (await listChainContainers(docker, project)).filter(
      (c) => c.stage === req.stage && c.state === 'running',
    );
    if (running.length === 0)
      throw new ControllerError(
        404,
        'no_container',
        `no running ${req.stage} container in project ${project} (the controller looks for ${LABEL_PROJECT}=${project} and ${LABEL_STAGE}=${req.stage})`,
      );
    return Promise.all(running.map((c) => docker.getContainer(c.id).inspect()));
  }
}
