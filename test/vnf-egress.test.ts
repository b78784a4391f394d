// The nic on both sides of a VNF (test/fixtures/vnf-egress.yaml): ingress RX, the lb, egress TX.
// Every packet sent is received or dropped with a reason, the TX nic's accounting closes, and
// the backends verify every checksum of what the TX ring put on the wire.

import { join } from 'node:path';
import { loadChainFile } from '@vnflab/core';
import { createRegistry, runChain } from '@vnflab/cli';

describe('vnf egress chain', () => {
  test.each(['passthrough', 'virtio', 'emulated', 'native'])(
    'nic-tx %s: accounting closes and backends verify every checksum',
    async (variant) => {
      const reg = createRegistry();
      const chain = loadChainFile(join(__dirname, 'fixtures', 'vnf-egress.yaml'), reg);
      const tx = chain.stages.find((s) => s.name === 'nic-tx')!;
      tx.variant = variant;
      chain.stages[0].settings = { ...chain.stages[0].settings, count: 20000 };
      const { summary } = await runChain(chain, reg);
      expect(summary.sent).toBe(20000);
      expect(summary.accounting_closed).toBe(true);
      expect(summary.sent).toBe(summary.received + summary.drops_total);
      const st = summary.stages.find((s) => s.name === 'nic-tx')!;
      expect(st.variant).toBe(variant);
      expect(st.packets_in).toBeGreaterThan(0);
      expect(st.packets_in).toBe(st.packets_out + Object.values(st.drops).reduce((a, b) => a + b, 0));
      expect(st.events.dma).toBe(st.packets_out);
      expect((st.details as { direction: string }).direction).toBe('tx');
      const backends = summary.stages[summary.stages.length - 1];
      expect(backends.packets_in).toBe(st.packets_out);
      expect(backends.drops).toEqual({}); // no bad checksum, nothing truncated
      expect(summary.received).toBe(backends.packets_out);
      expect(summary.received).toBe(20000); // rings of 512 at batch 32: nothing is lost on the way
    },
  );
});
