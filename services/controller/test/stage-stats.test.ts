// GET /stats/:stage's reading: the running containers of the stage in the controller's project
// answer their /stats (here a real HTTP server stands in for a container, reached at the address
// Docker's inspect JSON gives), one that does not answer is reported, not fatal, and a stage
// with no running container is a 404 naming the labels looked for.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Docker from 'dockerode';
import { ControllerError, readStageStats } from '@vnflab/controller';

let server: Server;
let port: number;
const STATS = { service: { stage: 'traffic-gen', variant: 'udp' }, details: { settings: { rate: 10000, size: 64 } } };

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/stats' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url === '/stats' ? STATS : { error: 'not_found' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Docker's list and inspect JSON for these containers; records the list filters asked for. */
function engine(rows: { id: string; name: string; stage: string; state: string; ip: string; port: number }[]): {
  docker: Docker;
  filters: unknown[];
} {
  const filters: unknown[] = [];
  const docker = {
    listContainers: async (o: { filters: unknown }) => {
      filters.push(o.filters);
      return rows.map((r) => ({
        Id: r.id,
        Names: [`/${r.name}`],
        Image: `vnflab/${r.stage}:0.1.0`,
        State: r.state,
        Status: r.state === 'running' ? 'Up 2 minutes (healthy)' : 'Exited (0)',
        Labels: { 'com.docker.compose.project': 'myproj', 'vnflab.stage': r.stage, 'vnflab.variant': 'udp' },
      }));
    },
    getContainer: (id: string) => ({
      inspect: async () => {
        const r = rows.find((x) => x.id === id)!;
        return {
          Id: r.id,
          Name: `/${r.name}`,
          Config: { Env: [`VNFLAB_PORT=${r.port}`], Labels: {} },
          NetworkSettings: { Networks: { myproj_chain: { IPAddress: r.ip } } },
        };
      },
    }),
  } as unknown as Docker;
  return { docker, filters };
}

test("each running container's /stats, and a line for one that does not answer", async () => {
  const { docker, filters } = engine([
    { id: 'a'.repeat(64), name: 'myproj-traffic-gen-1', stage: 'traffic-gen', state: 'running', ip: '127.0.0.1', port },
    { id: 'b'.repeat(64), name: 'myproj-traffic-gen-2', stage: 'traffic-gen', state: 'running', ip: '', port },
    { id: 'c'.repeat(64), name: 'myproj-traffic-gen-3', stage: 'traffic-gen', state: 'exited', ip: '127.0.0.1', port },
    { id: 'd'.repeat(64), name: 'myproj-nic-1', stage: 'nic', state: 'running', ip: '127.0.0.1', port },
  ]);
  const v = await readStageStats(docker, 'myproj', 'traffic-gen', ['myproj_chain']);
  // only the project's stage containers are listed
  expect(filters).toEqual([{ label: ['com.docker.compose.project=myproj', 'vnflab.stage'] }]);
  expect(v).toEqual({
    project: 'myproj',
    stage: 'traffic-gen',
    containers: [
      { name: 'myproj-traffic-gen-1', variant: 'udp', stats: STATS },
      { name: 'myproj-traffic-gen-2', variant: 'udp', stats: null, error: 'no network address' },
    ],
  });
});

test('no running container of the stage: 404 naming the labels', async () => {
  const { docker } = engine([
    { id: 'c'.repeat(64), name: 'myproj-traffic-gen-3', stage: 'traffic-gen', state: 'exited', ip: '127.0.0.1', port },
  ]);
  const e = await readStageStats(docker, 'myproj', 'traffic-gen', []).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ControllerError);
  expect((e as ControllerError).status).toBe(404);
  expect((e as Error).message).toBe(
    'no running traffic-gen container in project myproj (the controller looks for com.docker.compose.project=myproj and vnflab.stage=traffic-gen)',
  );
});
