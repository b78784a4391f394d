// GET and PUT /traffic — the generator's control API (services/traffic-gen/src/control-api.ts)
// relayed to the project's running generator containers, which publish nothing on the host:
// `vnflab traffic --url <controller>` and `vnflab compare --controller … --ndr` steer the compose
// generator this way. Only the project's containers of the chain's source stage are reached; the
// write carries the project's control token, which the caller has already shown the controller.

import { request } from 'node:http';
import type Docker from 'dockerode';
import { runningStageContainers } from './discovery';
import { ControllerError } from './errors';

/** One generator's answer: what its /traffic said (TrafficState), or why it did not. */
export interface TrafficRelayView {
  project: string;
  stage: string;
  /** With one generator: its own answer's fields at the top, so a client reads it as the generator's. */
  [field: string]: unknown;
  containers: { name: string; status: number; traffic: unknown }[];
}

interface Answer {
  status: number;
  body: string;
}

/** One HTTP exchange with no kept-alive socket (containers come and go; see http-probe.ts). */
function exchange(
  url: string,
  method: 'GET' | 'PUT',
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function relayTraffic(
  docker: Docker,
  project: string,
  stage: string,
  networks: string[],
  change?: { body: unknown; token: string },
  timeoutMs = 2000,
): Promise<TrafficRelayView> {
  const running = await runningStageContainers(docker, project, stage, networks);
  const body = change ? JSON.stringify(change.body) : undefined;
  const headers: Record<string, string> = change
    ? { 'content-type': 'application/json', authorization: `Bearer ${change.token}` }
    : {};
  const containers = await Promise.all(
    running.map(async (c) => {
      const url = c.url;
      if (!url) return { name: c.name, status: 502, traffic: { error: 'bad_gateway', message: 'no network address' } };
      let a: Answer;
      try {
        a = await exchange(`${url}/traffic`, change ? 'PUT' : 'GET', headers, body, timeoutMs);
      } catch (e) {
        return { name: c.name, status: 502, traffic: { error: 'bad_gateway', message: (e as Error).message } };
      }
      let traffic: unknown;
      try {
        traffic = JSON.parse(a.body);
      } catch {
        traffic = { error: 'bad_gateway', message: `not JSON: ${a.body.slice(0, 120)}` };
      }
      return { name: c.name, status: a.status, traffic };
    }),
  );
  // a generator that refused (400: a size too small, an ended run) or did not answer fails the call, naming it
  const bad = containers.find((c) => c.status !== 200);
  if (bad) {
    const msg = (bad.traffic as { message?: unknown } | null)?.message;
    throw new ControllerError(
      bad.status >= 400 && bad.status < 500 ? bad.status : 502,
      bad.status >= 400 && bad.status < 500 ? 'generator_refused' : 'generator_unreachable',
      `${bad.name} /traffic: ${bad.status} ${typeof msg === 'string' ? msg : 'no answer'}`,
    );
  }
  const one = containers.length === 1 ? (containers[0].traffic as Record<string, unknown>) : {};
  return { ...one, project, stage, containers };
}
