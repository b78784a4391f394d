// Waits until a new container is ready to take traffic: its /readyz answers 200 or Docker
// reports it healthy, whichever comes first (the controller may not share a network with it,
// Docker's health check may be slow). A container that exits or turns unhealthy fails at once.

import type Docker from 'dockerode';
import { containerUrl } from './container-address';
import { tailLogs } from './container-logs';
import { ControllerError } from './errors';
import { probe } from './http-probe';

export interface ReadyResult {
  via: 'readyz' | 'docker-health';
  ms: number;
}

async function readyz(url: string): Promise<boolean> {
  try {
    return (await probe(`${url}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

export async function waitReady(
  docker: Docker,
  id: string,
  opts: { timeoutMs: number; networks?: string[]; pollMs?: number },
): Promise<ReadyResult> {
  const t0 = performance.now();
  const c = docker.getContainer(id);
  for (;;) {
    const info = await c.inspect();
    const st = info.State;
    if (!st.Running) {
      const logs = await tailLogs(c);
      throw new ControllerError(
        502,
        'not_ready',
        `the new container ${info.Name.replace(/^\//, '')} exited with code ${st.ExitCode} before it was ready${logs ? `: ${logs}` : ''}`,
      );
    }
    if (st.Health?.Status === 'healthy') return { via: 'docker-health', ms: performance.now() - t0 };
    if (st.Health?.Status === 'unhealthy') {
      const last = st.Health.Log?.[st.Health.Log.length - 1]?.Output?.trim();
      throw new ControllerError(
        502,
        'not_ready',
        `the new container ${info.Name.replace(/^\//, '')} is unhealthy${last ? `: ${last.slice(0, 300)}` : ''}`,
      );
    }
    const url = containerUrl(info, opts.networks);
    if (url && (await readyz(url))) return { via: 'readyz', ms: performance.now() - t0 };
    if (performance.now() - t0 > opts.timeoutMs) {
      const logs = await tailLogs(c);
      throw new ControllerError(
        504,
        'not_ready',
        `the new container ${info.Name.replace(/^\//, '')} was not ready within ${(opts.timeoutMs / 1e3).toFixed(0)} s (no 200 from ${url ?? 'its address'}/readyz, Docker health ${st.Health?.Status ?? 'not configured'})${logs ? `: ${logs}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
  }
}
