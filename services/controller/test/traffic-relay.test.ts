// GET and PUT /traffic through the controller: relayed to the project's running generator
// container (a real HTTP server stands in for it, reached at the address Docker's inspect JSON
// gives) with the token; the controller's own route needs the token for a write, and a
// generator's refusal comes back with its status and message.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Docker from 'dockerode';
import type { ResolvedChain } from '@vnflab/core';
import { Controller, ControllerError, ControllerMetrics, buildControllerApi, relayTraffic } from '@vnflab/controller';

const TOKEN = 'relay-test-token';
let server: Server;
let port: number;
const seen: { method: string; auth: string | undefined; body: string }[] = [];
let state = {
  variant: 'udp',
  rate: 10000,
  size: 64,
  flows: 1024,
  running: true,
  done: false,
  offered: 5,
  sent: 5,
  not_sent: 0,
};

function read(req: IncomingMessage): Promise<string> {
  return new Promise((r) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => r(b));
  });
}

beforeAll(async () => {
  // the generator's /traffic as services/traffic-gen/src/control-api.ts answers it
  server = createServer(async (req, res) => {
    const body = await read(req);
    seen.push({ method: req.method ?? '', auth: req.headers.authorization, body });
    res.setHeader('content-type', 'application/json');
    if (req.url !== '/traffic') return res.writeHead(404).end('{"error":"not_found","message":"no route"}');
    if (req.method === 'PUT') {
      const change = JSON.parse(body) as { size?: number; rate?: number };
      if (change.size === 65)
        return res.writeHead(400).end('{"error":"bad_traffic","message":"--size 65 is too small for tcp"}');
      state = { ...state, ...change };
    }
    res.writeHead(200).end(JSON.stringify(state));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Docker's list and inspect JSON: one running generator of project myproj, and a nic. */
function engine(): Docker {
  const rows = [
    { id: 'a'.repeat(64), name: 'myproj-traffic-gen-1', stage: 'traffic-gen' },
    { id: 'd'.repeat(64), name: 'myproj-nic-1', stage: 'nic' },
  ];
  return {
    listContainers: async () =>
      rows.map((r) => ({
        Id: r.id,
        Names: [`/${r.name}`],
        Image: `vnflab/${r.stage}:0.1.0`,
        State: 'running',
        Status: 'Up 2 minutes (healthy)',
        Labels: { 'com.docker.compose.project': 'myproj', 'vnflab.stage': r.stage, 'vnflab.variant': 'udp' },
      })),
    getContainer: (id: string) => ({
      inspect: async () => ({
        Id: id,
        Name: `/${rows.find((x) => x.id === id)!.name}`,
        Config: { Env: [`VNFLAB_PORT=${port}`], Labels: {} },
        NetworkSettings: { Networks: { myproj_chain: { IPAddress: '127.0.0.1' } } },
      }),
    }),
  } as unknown as Docker;
}

test("a read and a change reach the generator container, the change with the project's token", async () => {
  seen.length = 0;
  const got = await relayTraffic(engine(), 'myproj', 'traffic-gen', ['myproj_chain']);
  expect(got).toMatchObject({ project: 'myproj', stage: 'traffic-gen', rate: 10000, sent: 5 });
  expect(got.containers).toEqual([{ name: 'myproj-traffic-gen-1', status: 200, traffic: state }]);
  const put = await relayTraffic(engine(), 'myproj', 'traffic-gen', [], { body: { rate: 2500 }, token: TOKEN });
  expect(put.rate).toBe(2500);
  expect(seen).toEqual([
    { method: 'GET', auth: undefined, body: '' },
    { method: 'PUT', auth: `Bearer ${TOKEN}`, body: '{"rate":2500}' },
  ]);
});

test("a generator's refusal comes back with its status and message, naming the container", async () => {
  const e = await relayTraffic(engine(), 'myproj', 'traffic-gen', [], { body: { size: 65 }, token: TOKEN }).catch(
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ControllerError);
  expect((e as ControllerError).status).toBe(400);
  expect((e as Error).message).toBe('myproj-traffic-gen-1 /traffic: 400 --size 65 is too small for tcp');
});

test("the controller's PUT /traffic needs the token and relays only the known fields", async () => {
  const chain = {
    name: 'default',
    stages: [{ stage: 'traffic-gen', name: 'traffic-gen' }],
  } as unknown as ResolvedChain;
  const controller = {
    traffic: (c?: { body: unknown; token: string }) => relayTraffic(engine(), 'myproj', chain.stages[0].stage, [], c),
  };
  const app = buildControllerApi({
    controller: controller as unknown as Controller,
    metrics: new ControllerMetrics(),
    token: TOKEN,
  });
  try {
    const none = await app.inject({ method: 'PUT', url: '/traffic', payload: { rate: 100 } });
    expect(none.statusCode).toBe(401);
    const odd = await app.inject({
      method: 'PUT',
      url: '/traffic',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { burst: 1 },
    });
    expect(odd.statusCode).toBe(400);
    const ok = await app.inject({
      method: 'PUT',
      url: '/traffic',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { rate: 100 },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ rate: 100, project: 'myproj' });
    const read = await app.inject({ method: 'GET', url: '/traffic' });
    expect(read.json()).toMatchObject({ rate: 100 });
  } finally {
    await app.close();
  }
});
