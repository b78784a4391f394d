// Every stage the lab knows, in packet order. Services register here once.

import { StageRegistry, type ResolvedChain, type StageDefinition } from '@vnflab/core';
import { trafficGenStage } from '@vnflab/traffic-gen';
import { backendsStage } from '@vnflab/backends';
import { firewallStage } from '@vnflab/firewall';
import { kernelPathStage } from '@vnflab/kernel-path';
import { lbBackendNames, lbStage } from '@vnflab/lb';
import { nicStage } from '@vnflab/nic';

/**
 * The backends label packets by backend name; the names come from the chain's lb stage, so
 * both stages show the same backends without the chain file repeating them.
 */
const backendsNamedByLb: StageDefinition = {
  ...backendsStage,
  create(variant, settings, env) {
    const lb = (env.chainConfig as ResolvedChain | undefined)?.stages.find((s) => s.stage === 'lb');
    const names = lb ? lbBackendNames(lb.settings) : {};
    return backendsStage.create(variant, { ...settings, names: { ...names, ...(settings.names as Record<string, string> | undefined) } }, env);
  },
};

export function createRegistry(): StageRegistry {
  return new StageRegistry().register(trafficGenStage).register(nicStage).register(kernelPathStage).register(firewallStage).register(lbStage).register(backendsNamedByLb);
}
