// What the new ("green") container looks like: the old one's configuration — environment,
// labels, health check, limits, mounts, networks and aliases — with the new variant. The stage
// (VNFLAB_STAGE, hence the consumer group) stays; published host ports do not carry over, as
// both containers run side by side during the swap.

import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { ControllerVariant } from '@vnflab/core';
import { LABEL_PROJECT, LABEL_REPLACES, LABEL_STAGE, LABEL_VARIANT } from './labels';

export interface GreenPlan {
  create: Docker.ContainerCreateOptions;
  /** Networks beyond the first, connected before the container starts. */
  extraNetworks: { name: string; aliases: string[] }[];
}

function setEnv(env: string[], name: string, value: string): string[] {
  return [...env.filter((e) => !e.startsWith(`${name}=`)), `${name}=${value}`];
}

/** A fresh container name: project, service, variant and a random suffix (names must be unique). */
export function greenName(old: Docker.ContainerInspectInfo, variant: string): string {
  const l = old.Config.Labels ?? {};
  const base = [l[LABEL_PROJECT], l['com.docker.compose.service'] ?? l[LABEL_STAGE] ?? 'stage']
    .filter(Boolean)
    .join('-');
  return `${base}-${variant}-${randomBytes(3).toString('hex')}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

export function greenConfig(
  old: Docker.ContainerInspectInfo,
  o: { variant: string; spec: ControllerVariant; name: string; oldImageEnv?: string[] },
): GreenPlan {
  const image = o.spec.image ?? old.Config.Image;
  const sameImage = image === old.Config.Image;
  // with another image, the old image's own defaults (PATH, NODE_ENV, ...) give way to the new one's
  const imageDefaults = new Set(sameImage ? [] : (o.oldImageEnv ?? []));
  let env = (old.Config.Env ?? []).filter((e) => !imageDefaults.has(e));
  env = setEnv(env, 'VNFLAB_VARIANT', o.variant);
  for (const [k, v] of Object.entries(o.spec.env)) env = setEnv(env, k, v);

  const oldName = old.Name.replace(/^\//, '');
  const labels = { ...(old.Config.Labels ?? {}), [LABEL_VARIANT]: o.variant, [LABEL_REPLACES]: oldName };

  const nets = Object.entries(old.NetworkSettings?.Networks ?? {});
  const shortId = old.Id.slice(0, 12);
  const aliasesOf = (ep: Docker.NetworkInfo): string[] =>
    ((ep.Aliases ?? []) as string[]).filter((a) => a !== shortId && a !== old.Config.Hostname && a !== oldName);
  // the default bridge takes no aliases; user-defined networks keep the service's DNS name
  const userDefined = (name: string): boolean => !['bridge', 'host', 'none', 'default'].includes(name);
  const [primary, ...rest] = nets;

  const hostConfig: Docker.HostConfig & { ContainerIDFile?: string } = { ...old.HostConfig };
  delete hostConfig.PortBindings;
  delete hostConfig.PublishAllPorts;
  delete hostConfig.Links;
  delete hostConfig.ContainerIDFile;
  if (primary) hostConfig.NetworkMode = primary[0];

  const create: Docker.ContainerCreateOptions = {
    name: o.name,
    Image: image,
    Env: env,
    Labels: labels,
    Cmd: sameImage ? (old.Config.Cmd ?? undefined) : undefined,
    Entrypoint: sameImage ? (old.Config.Entrypoint ?? undefined) : undefined,
    User: sameImage ? old.Config.User : undefined,
    WorkingDir: sameImage ? old.Config.WorkingDir : undefined,
    Healthcheck: old.Config.Healthcheck,
    ExposedPorts: old.Config.ExposedPorts,
    StopSignal: (old.Config as { StopSignal?: string }).StopSignal,
    Tty: old.Config.Tty,
    HostConfig: hostConfig,
    NetworkingConfig: primary
      ? { EndpointsConfig: { [primary[0]]: userDefined(primary[0]) ? { Aliases: aliasesOf(primary[1]) } : {} } }
      : undefined,
  };
  return {
    create,
    extraNetworks: rest.map(([name, ep]) => ({ name, aliases: userDefined(name) ? aliasesOf(ep) : [] })),
  };
}
