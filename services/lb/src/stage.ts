// The lb stage manifest (chain files, CLI, services). It provides `backend_names`, the address ->
// name map the backends stage takes so both label backends the same way.

import { ipToString, type StageDefinition } from '@vnflab/core';
import { LB_AUTH_MESSAGES, lbControlPlugin } from './control-api';
import { LoadBalancer } from './lb';
import { lbMemory } from './memory';
import { ALGORITHMS } from './selector';
import { LB_METRICS } from './views';
import { LbSettingsSchema, resolveSettings } from './settings';

export const lbStage: StageDefinition = {
  stage: 'lb',
  role: 'element',
  variants: ALGORITHMS, // maglev first: the default
  settings: LbSettingsSchema,
  description:
    'Load-balancer VNF: VIPs to backend pools by Maglev, round-robin or hash mod N, connection tracking, NAT or IP-in-IP forwarding',
  defaultCategory: 'app',
  flags: [{ name: 'lb', kind: 'variant', values: ALGORITHMS.join('|') }],
  reasons: ['no_backend', 'no_headroom', 'not_for_vip'],
  metrics: Object.values(LB_METRICS),
  provides: { backend_names: (settings) => lbBackendNames(settings) },
  create: (variant, settings, env) => new LoadBalancer(variant, settings, { memoryBudget: env.memoryBudget }),
  memoryBytes: lbMemory,
  controlRoutes: (element) => ({
    prefix: '/lb',
    routes: async (app) => {
      await app.register(lbControlPlugin, { lb: element as LoadBalancer });
    },
    auth: LB_AUTH_MESSAGES,
  }),
};

/**
 * Backend address -> backend name from lb settings (defaults when omitted), for the backends
 * stage's `names` setting. An address shared by differently named backends gets "a+b".
 */
export function lbBackendNames(settings: unknown = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of resolveSettings(settings).vips) {
    for (const b of v.backends) {
      const a = ipToString(b.address);
      out[a] = out[a] && out[a] !== b.name ? `${out[a]}+${b.name}` : b.name;
    }
  }
  return out;
}
