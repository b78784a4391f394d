// The firewall stage manifest (chain files, CLI, services). This folder is all the lab needs to
// know the stage: discovery finds it by its package.json.

import type { StageDefinition } from '@vnflab/core';
import { FIREWALL_AUTH_MESSAGES, firewallControlPlugin } from './control-api';
import { ConnTable } from './conntrack';
import { FIREWALL_METRICS, Firewall } from './firewall';
import { FIREWALL_DEFAULTS, FirewallSettingsSchema, PRESETS, VARIANTS } from './settings';

export const firewallStage: StageDefinition = {
  stage: 'firewall',
  role: 'element',
  variants: VARIANTS, // acl (stateless) first: the default
  presets: PRESETS,
  settings: FirewallSettingsSchema,
  description:
    'Firewall VNF: an ordered ACL (first match wins, default policy), optionally stateful with a bounded connection table that lets replies through',
  defaultCategory: 'app',
  flags: [{ name: 'firewall', kind: 'variant', values: VARIANTS.join('|') }],
  reasons: ['acl_deny', 'firewall_state_full'],
  metrics: FIREWALL_METRICS,
  create: (variant, settings) => new Firewall(variant, settings),
  // the connection table exists while stateful, from the start or once /control turns it on
  memoryBytes: (_variant, settings) => {
    const flows = (settings.conntrack_size as number | undefined) ?? FIREWALL_DEFAULTS.conntrack_size;
    return [{ key: 'conntrack_size', bytes: ConnTable.bytesFor(flows), what: `connection table for ${flows} flows` }];
  },
  controlRoutes: (element) => ({
    prefix: '/firewall',
    routes: async (app) => {
      await app.register(firewallControlPlugin, { firewall: element as Firewall });
    },
    auth: FIREWALL_AUTH_MESSAGES,
  }),
};
