// Settings: defaults, and every bad value refused with a one-line error naming its key.

import { HttpClient, httpClientStage, resolveClientSettings } from '../src';

test('defaults: 8192 connections, HTTP/1.0, closed loop, /index.html on 10.0.0.100:80 from Linux ports', () => {
  const s = resolveClientSettings({});
  expect(s).toMatchObject({
    connections: 8192,
    requestsPerConnection: 1,
    rate: 0,
    path: '/index.html',
    dstIp: 0x0a000064,
    dstPort: 80,
    srcIps: [0x0a010001],
    portLow: 32768,
    portHigh: 61000,
  });
});

test.each([
  [{ connections: 0 }, /connections/],
  [{ connections: 65537 }, /connections/],
  [{ requests_per_connection: 0 }, /requests_per_connection/],
  [{ rate: -1 }, /rate/],
  [{ path: 'index.html' }, /^path: /],
  [{ path: '/a b' }, /^path: /],
  [{ dst: '10.0.0.1' }, /^dst: /],
  [{ dst: '10.0.0.300:80' }, /^dst: /],
  [{ src: 'x' }, /^src: /],
  [{ src_ports: '5-4' }, /^src_ports: /],
  [{ src_ports: '0-10' }, /^src_ports: /],
  [
    { connections: 100, src_ports: '1000-1049' },
    /^connections: 100 need as many client 4-tuples; src_count 1 x src_ports 1000-1049 give 50$/,
  ],
  [{ src: '10.0.0.100' }, /^src: the client addresses include dst/],
  [{ colour: 'red' }, /colour/],
])('%j is refused naming its key', (settings, message) => {
  expect(() => resolveClientSettings(settings)).toThrow(message);
  expect(() => new HttpClient('ab', settings)).toThrow(message);
});

test('the manifest provides the destination port and sets settings from its flags', () => {
  expect(httpClientStage.provides!.destination_port({ dst: '10.0.0.5:8080' })).toBe(8080);
  expect(httpClientStage.provides!.destination_port({})).toBe(80);
  const flag = httpClientStage.flags!.find((f) => f.name === 'connections')!;
  expect(flag.toSettings!('64')).toEqual({ connections: 64 });
  expect(() => flag.toSettings!('lots')).toThrow('--connections: "lots" is not an integer in 1..65536');
  const mem = httpClientStage.memoryBytes!('ab', { connections: 8192 });
  expect(mem.map((m) => m.key)).toEqual(['connections', 'connections']);
  expect(mem[0].bytes).toBe(16384 * 720); // TCBs: as many again as connections, for TIME_WAIT
  expect(mem[1].bytes).toBeGreaterThan(8192 * 1460); // a segment chunk per connection, and more
});
