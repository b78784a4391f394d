// The TCP path's own cost, without the lab around it: two TcpEndpoints back to back (a client and
// a server on port 80) run short transactions as the web workload does (connect, an 80-byte
// request, a 200-byte response, close from both sides), every frame built, checksummed, parsed
// and run through the state machine. Prints process CPU time per transaction (both ends), which
// a loaded machine inflates far less than the wall-clock figures of `vnflab breakdown`.
//
//   npm run build && node packages/tcp/bench/back-to-back.js [transactions]

'use strict';
const { TcpEndpoint } = require('../dist');

const N = Number(process.argv[2]) || 30000;
let now = 1e9;
const wire = []; // frames in flight: direction, bytes, length
function sink(dir) {
  return {
    reserve(len, slot) {
      slot.buf = Buffer.allocUnsafe(len);
      slot.off = 0;
      return true;
    },
    commit(slot, len) {
      wire.push(dir, slot.buf, len);
    },
  };
}
const request = Buffer.alloc(80, 0x41);
const response = Buffer.alloc(200, 0x42);
let done = 0;
const client = new TcpEndpoint(
  { localIp: 0x0a000001, maxConnections: 4096, timeWaitMs: 1, delayedAck: false },
  sink(0),
  {
    connected: (c) => client.send(c, request, 0, request.length, now),
    acceptReady() {},
    data: (c) => client.close(c, now),
    peerClosed() {},
    closed: () => done++,
  },
);
const server = new TcpEndpoint(
  { localIp: 0x0a000064, maxConnections: 4096, timeWaitMs: 1, delayedAck: false },
  sink(1),
  {
    connected() {},
    acceptReady: (port) => server.accept(port),
    data(c) {
      server.send(c, response, 0, response.length, now);
      server.close(c, now);
    },
    peerClosed() {},
    closed() {},
  },
);
server.listen(80);

function run(n) {
  for (let i = 0; i < n; i++) {
    client.connect(0x0a000064, 80, now);
    while (wire.length > 0) {
      const dir = wire.shift();
      const buf = wire.shift();
      const len = wire.shift();
      (dir === 0 ? server : client).input(buf, 0, len, now);
    }
    now += 50000;
    if ((i & 63) === 0) {
      now += 2e6; // TIME_WAIT (1 ms here) ends, the client's ports come free again
      client.tick(now);
      server.tick(now);
    }
  }
}

run(2000); // warm-up: the code optimized before it is timed
const segs0 = client.stats.segmentsIn + server.stats.segmentsIn;
const done0 = done;
const cpu0 = process.cpuUsage();
run(N);
const cpu = process.cpuUsage(cpu0);
const segs = client.stats.segmentsIn + server.stats.segmentsIn - segs0;
const us = (cpu.user + cpu.system) / N;
console.log(
  `${done - done0} of ${N} transactions closed, ${(segs / N).toFixed(1)} segments each: ` +
    `${us.toFixed(2)} µs of CPU per transaction (both ends), ${((us * N) / segs).toFixed(2)} µs per segment`,
);
