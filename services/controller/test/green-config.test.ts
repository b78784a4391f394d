// What the new container of a swap looks like, from the old one's inspect data.

import type Docker from 'dockerode';
import { greenConfig, greenName } from '@vnflab/controller';

function old(over: Partial<{ image: string; env: string[] }> = {}): Docker.ContainerInspectInfo {
  return {
    Id: 'abcdef0123456789abcdef',
    Name: '/vnflab_nic_1',
    Config: {
      Image: over.image ?? 'vnflab/nic:0.1.0',
      Hostname: 'abcdef012345',
      Env: over.env ?? [
        'PATH=/usr/local/bin:/usr/bin:/bin',
        'NODE_ENV=production',
        'VNFLAB_STAGE=nic',
        'VNFLAB_VARIANT=passthrough',
        'VNFLAB_BUS=redis://redis:6379',
      ],
      Labels: {
        'com.docker.compose.project': 'vnflab',
        'com.docker.compose.service': 'nic',
        'vnflab.stage': 'nic',
        'vnflab.variant': 'passthrough',
      },
      Cmd: ['serve'],
      Entrypoint: ['node', 'packages/cli/bin/vnflab.js'],
      User: 'node',
      WorkingDir: '/app',
      Healthcheck: { Test: ['CMD', 'true'], Interval: 2e9 },
      ExposedPorts: { '8080/tcp': {} },
      Tty: false,
    },
    HostConfig: {
      Memory: 134217728,
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': '' },
      PortBindings: { '8080/tcp': [{ HostPort: '8088' }] },
      NetworkMode: 'vnflab_chain',
      RestartPolicy: { Name: 'unless-stopped' },
    },
    NetworkSettings: {
      Networks: {
        vnflab_chain: { Aliases: ['nic', 'abcdef012345'], IPAddress: '172.20.0.5' },
        vnflab_mgmt: { Aliases: ['nic'], IPAddress: '172.21.0.5' },
      },
    },
  } as unknown as Docker.ContainerInspectInfo;
}

test('the new container keeps the stage, settings, limits and networks, with the new variant', () => {
  const { create, extraNetworks } = greenConfig(old(), {
    variant: 'virtio',
    spec: { env: { VNFLAB_SETTINGS: '{"event_idx":true}' } },
    name: 'vnflab-nic-virtio-1a2b3c',
  });
  expect(create.name).toBe('vnflab-nic-virtio-1a2b3c');
  expect(create.Image).toBe('vnflab/nic:0.1.0');
  expect(create.Env).toEqual(
    expect.arrayContaining([
      'VNFLAB_STAGE=nic',
      'VNFLAB_VARIANT=virtio',
      'VNFLAB_BUS=redis://redis:6379',
      'VNFLAB_SETTINGS={"event_idx":true}',
      'NODE_ENV=production',
    ]),
  );
  expect(create.Env).not.toContain('VNFLAB_VARIANT=passthrough');
  expect(create.Labels).toMatchObject({
    'com.docker.compose.project': 'vnflab',
    'vnflab.stage': 'nic',
    'vnflab.variant': 'virtio',
    'vnflab.replaces': 'vnflab_nic_1',
  });
  expect(create.Cmd).toEqual(['serve']);
  expect(create.Healthcheck).toEqual({ Test: ['CMD', 'true'], Interval: 2e9 });
  // limits and mounts carry over; published ports do not (both run side by side)
  expect(create.HostConfig).toMatchObject({
    Memory: 134217728,
    ReadonlyRootfs: true,
    Tmpfs: { '/tmp': '' },
    NetworkMode: 'vnflab_chain',
  });
  expect(create.HostConfig).not.toHaveProperty('PortBindings');
  // the service's DNS name stays; the old container's own id alias does not
  expect(create.NetworkingConfig).toEqual({ EndpointsConfig: { vnflab_chain: { Aliases: ['nic'] } } });
  expect(extraNetworks).toEqual([{ name: 'vnflab_mgmt', aliases: ['nic'] }]);
});

test("another image brings its own defaults, not the old image's", () => {
  const { create } = greenConfig(old(), {
    variant: 'virtio',
    spec: { image: 'vnflab/nic:0.2.0', env: {} },
    name: 'n',
    oldImageEnv: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production'],
  });
  expect(create.Image).toBe('vnflab/nic:0.2.0');
  expect(create.Env).toEqual(['VNFLAB_STAGE=nic', 'VNFLAB_BUS=redis://redis:6379', 'VNFLAB_VARIANT=virtio']);
  expect(create.Cmd).toBeUndefined();
  expect(create.Entrypoint).toBeUndefined();
});

test('names are unique and valid Docker names', () => {
  const a = greenName(old(), 'virtio');
  expect(a).toMatch(/^vnflab-nic-virtio-[0-9a-f]{6}$/);
  expect(greenName(old(), 'virtio')).not.toBe(a);
});
