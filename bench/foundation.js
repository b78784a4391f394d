// The foundation benchmark: the raw floor loop and the embedded chain, measured in one run, the
// chain's resident memory after the first 10 s versus at the end of a 60 s run, and how close the
// calibrated spin that spends every cost profile's nanoseconds comes to what it is asked.

const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { floorPps } = require('./floor');
const { spinAccuracy } = require('./spin');

module.exports = async function foundation({ quick, log }) {
  const floorS = quick ? 2 : 5;
  const chainS = quick ? 15 : 60;
  const earlyS = quick ? 3 : 10;
  log(`floor loop, ${floorS} s ...`);
  const floor = floorPps(floorS);
  log('calibrated spin, 21 runs of 200 x 1 us ...');
  const spin = spinAccuracy();
  const spinOff = Math.abs(spin.median_ns - spin.requested_ns) / spin.requested_ns;
  log(`embedded chain traffic-gen -> backends, 64 B, unlimited rate, ${chainS} s ...`);
  const child = (args) =>
    JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }).trim().split('\n').pop());
  const c = child([join(__dirname, 'chain-child.js'), String(chainS), String(earlyS)]);
  log(`the same chain again, ${quick ? 10 : 30} s, measuring the live heap after full collections ...`);
  const l = child(['--expose-gc', join(__dirname, 'chain-child.js'), String(quick ? 10 : 30), String(earlyS), 'live']);
  c.live_heap_early = l.live_heap_early;
  c.live_heap_end = l.live_heap_end;
  const ratio = c.pps / floor;
  const rssGrowth = (c.rss_end - c.rss_early) / c.rss_early;
  return {
    rows: [
      [
        'raw floor loop (parse + verify checksums, 5-tuple hash, NAT rewrite), 64 B',
        `${(floor / 1e6).toFixed(2)} Mpps`,
        '',
      ],
      [
        'embedded chain traffic-gen -> backends, 64 B, unlimited',
        `${(c.pps / 1e6).toFixed(2)} Mpps`,
        `accounting ${c.closed ? 'closes' : 'DOES NOT CLOSE'}, p99 ${(c.p99_s * 1e3).toFixed(2)} ms`,
      ],
      ['chain / floor', `${(ratio * 100).toFixed(1)} %`, `target >= 25 % ${ratio >= 0.25 ? 'met' : 'NOT MET'}`],
      [
        `RSS after ${c.early_s} s -> after ${c.seconds} s`,
        `${(c.rss_early / 2 ** 20).toFixed(0)} -> ${(c.rss_end / 2 ** 20).toFixed(0)} MiB`,
        `${(rssGrowth * 100).toFixed(1)} % (target within 10 % ${Math.abs(rssGrowth) <= 0.1 ? 'met' : 'NOT MET'})`,
      ],
      ...(c.live_heap_early && c.live_heap_end
        ? [
            [
              `live heap after a full GC, ${c.early_s} s -> end (a second run)`,
              `${(c.live_heap_early / 2 ** 20).toFixed(1)} -> ${(c.live_heap_end / 2 ** 20).toFixed(1)} MiB`,
              'flat = no leak; RSS growth is garbage V8 has not collected yet',
            ],
          ]
        : []),
      [
        'calibrated spin: a requested 1 us (median of 21 runs of 200)',
        `${spin.median_ns.toFixed(0)} ns`,
        `${(spinOff * 100).toFixed(1)} % off, overhead taken off ${spin.overhead_ns.toFixed(0)} ns (target within 10 % ${spinOff <= 0.1 ? 'met' : 'NOT MET'})`,
      ],
    ],
    data: {
      floor_pps: floor,
      spin,
      chain_pps: c.pps,
      ratio,
      rss_early: c.rss_early,
      rss_end: c.rss_end,
      rss_growth: rssGrowth,
      live_heap_early: c.live_heap_early,
      live_heap_end: c.live_heap_end,
      closed: c.closed,
    },
  };
};
