// A client of the controller's API, for `vnflab swap` and `vnflab compare --controller`.
// Errors carry the controller's own message, or say plainly that it cannot be reached.

import type { ChainView, SwapReport } from './controller';
import type { StageStatsView } from './stage-stats';
import type { TrafficRelayView } from './traffic-relay';

export class ControllerClientError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ControllerClientError';
  }
}

export class ControllerClient {
  readonly base: string;

  constructor(
    url: string,
    private readonly token?: string,
  ) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new ControllerClientError(`"${url}" is not a URL (e.g. http://localhost:8088)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new ControllerClientError(`"${url}" is not an http(s) URL`);
    this.base = url.replace(/\/+$/, '');
  }

  private async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') {
      if (!this.token)
        throw new ControllerClientError(
          `${path === '/swap' ? 'a swap' : `${method} ${path}`} needs the control token (VNFLAB_CONTROL_TOKEN or --token-file FILE)`,
        );
      headers.authorization = `Bearer ${this.token}`;
    }
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const c = (e as Error & { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? (e as Error).message;
      throw new ControllerClientError(
        `cannot reach the controller at ${this.base}: ${cause} (is it running? docker compose publishes it on CONTROLLER_PORT, 8088 by default)`,
      );
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* not JSON: reported below */
    }
    if (!res.ok)
      throw new ControllerClientError(
        `${method} ${path}: ${res.status} ${String(json.message ?? (text.slice(0, 200) || res.statusText))}`,
        res.status,
      );
    return json as T;
  }

  chain(): Promise<ChainView> {
    return this.call<ChainView>('GET', '/chain');
  }

  stageStats(stage: string): Promise<StageStatsView> {
    return this.call<StageStatsView>('GET', `/stats/${encodeURIComponent(stage)}`);
  }

  /** The generator's traffic, through the controller. */
  traffic(): Promise<TrafficRelayView> {
    return this.call<TrafficRelayView>('GET', '/traffic');
  }

  /** Changes the generator's traffic (rate 0: as fast as the chain takes), through the controller. */
  setTraffic(change: {
    rate?: number;
    size?: number | 'imix';
    flows?: number;
    flush_ms?: number;
    running?: boolean;
  }): Promise<TrafficRelayView> {
    return this.call<TrafficRelayView>('PUT', '/traffic', change);
  }

  swap(stage: string, variant: string, container?: string): Promise<SwapReport> {
    return this.call<SwapReport>('POST', '/swap', { stage, variant, ...(container ? { container } : {}) });
  }
}
