// What the lab's HTTP servers listen on when nobody says: loopback. The embedded run's metrics
// server (--metrics-port) and a stage service (vnflab serve) open to other hosts only when asked
// (--host, VNFLAB_HOST; compose sets 0.0.0.0 inside its own network).

import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createMetricsRegistry, discoverStages } from '@vnflab/core';
import { resolveServiceSettings, startMetricsServer } from '@vnflab/runtime';

const CHAIN = join(__dirname, '..', '..', '..', 'chains', 'default.yaml');

test('the metrics server listens on 127.0.0.1 by default, and on the host it is given', async () => {
  const registry = (): ReturnType<typeof createMetricsRegistry> =>
    createMetricsRegistry({ stages: () => [], e2e: () => [] });
  const byDefault = await startMetricsServer(registry(), 0);
  const asked = await startMetricsServer(registry(), 0, undefined, '0.0.0.0').catch(async (e: Error) => {
    await byDefault.close();
    throw e;
  });
  try {
    expect((byDefault.server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect((asked.server.address() as AddressInfo).address).toBe('0.0.0.0');
  } finally {
    await byDefault.close();
    await asked.close();
  }
});

test('vnflab serve listens on 127.0.0.1 unless --host or VNFLAB_HOST says otherwise', () => {
  const reg = discoverStages();
  const flags = { stage: 'nic', config: CHAIN };
  expect(resolveServiceSettings(flags, {}, reg).host).toBe('127.0.0.1');
  expect(resolveServiceSettings(flags, { VNFLAB_HOST: '0.0.0.0' }, reg).host).toBe('0.0.0.0');
  expect(resolveServiceSettings({ ...flags, host: '::1' }, {}, reg).host).toBe('::1');
});
