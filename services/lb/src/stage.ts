// The lb stage definition for the registry (chain files, CLI, services), and the address ->
// name map the chain wiring hands to the backends stage so both label backends the same way.

import { ipToString, type StageDefinition } from '@vnflab/core';
import { LB_AUTH_MESSAGES, lbControlPlugin } from './control-api';
import { LoadBalancer } from './lb';
import { ALGORITHMS } from './selector';
import { LbSettingsSchema, resolveSettings } from './settings';

export const lbStage: StageDefinition = {
  stage: 'lb',
  variants: ALGORITHMS, // maglev first: the default
  settings: LbSettingsSchema,
  description: 'Load-balancer VNF: VIPs to backend pools by Maglev, round-robin or hash mod N, connection tracking, NAT or IP-in-IP forwarding',
  defaultCategory: 'app',
  create: (variant, settings) => new LoadBalancer(variant, settings),
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
