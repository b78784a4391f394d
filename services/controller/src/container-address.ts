// Where a stage container's HTTP API answers: its address on a network it shares with the
// controller (any of its networks when the controller runs on the host) and its VNFLAB_PORT.

import type Docker from 'dockerode';

export function envValue(env: string[] | undefined, name: string): string | undefined {
  const hit = (env ?? []).find((e) => e.startsWith(`${name}=`));
  return hit === undefined ? undefined : hit.slice(name.length + 1);
}

export function containerPort(info: Docker.ContainerInspectInfo): number {
  const p = Number(envValue(info.Config.Env, 'VNFLAB_PORT'));
  return Number.isInteger(p) && p > 0 && p < 65536 ? p : 8080;
}

/** http://IP:PORT of the container, preferring `networks` (the controller's own), or null without an address. */
export function containerUrl(info: Docker.ContainerInspectInfo, networks: string[] = []): string | null {
  const nets = info.NetworkSettings?.Networks ?? {};
  const names = Object.keys(nets).sort((a, b) => Number(networks.includes(b)) - Number(networks.includes(a)));
  for (const name of names) {
    const ip = nets[name]?.IPAddress;
    if (ip) return `http://${ip}:${containerPort(info)}`;
  }
  return null;
}
