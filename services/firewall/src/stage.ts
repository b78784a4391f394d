// The firewall stage definition for the registry (chain files, CLI, services).

import type { StageDefinition } from '@vnflab/core';
import { firewallControlPlugin } from './control-api';
import { Firewall } from './firewall';
import { FirewallSettingsSchema, VARIANTS } from './settings';

export const firewallStage: StageDefinition = {
  stage: 'firewall',
  variants: VARIANTS, // acl (stateless) first: the default
  settings: FirewallSettingsSchema,
  description: 'Firewall VNF: an ordered ACL (first match wins, default policy), optionally stateful with a bounded connection table that lets replies through',
  defaultCategory: 'app',
  create: (variant, settings) => new Firewall(variant, settings),
  controlRoutes: (element, token) => ({ prefix: '/firewall', plugin: firewallControlPlugin, options: { firewall: element as Firewall, token } }),
};
